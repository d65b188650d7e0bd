import type { PresenceStore } from '../ports.js';

/** A store made for one test, with what to run after it. */
export interface PresenceStoreHandle {
  readonly store: PresenceStore;
  /** Runs after the test (flush keys, quit the client). Without it the suite calls `store.close?.()`. */
  readonly cleanup?: () => Promise<void>;
}

/** Makes a fresh, empty store; called before every test (and every model-based run). */
export type PresenceStoreFactory = () => Promise<PresenceStore | PresenceStoreHandle>;

/** An opened store and the function that disposes of it. */
export interface OpenedStore {
  readonly store: PresenceStore;
  readonly dispose: () => Promise<void>;
}

function isHandle(made: PresenceStore | PresenceStoreHandle): made is PresenceStoreHandle {
  return typeof (made as PresenceStore).addConnection !== 'function' && 'store' in made;
}

/** Calls the factory and normalises what it returns. */
export async function openStore(makeStore: PresenceStoreFactory): Promise<OpenedStore> {
  const made = await makeStore();
  if (isHandle(made)) {
    const { store, cleanup } = made;
    return { store, dispose: cleanup ?? (async () => store.close?.()) };
  }
  return { store: made, dispose: async () => made.close?.() };
}
