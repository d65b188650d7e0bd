import {
  type FriendGraph,
  type FriendGraphSeed,
  MemoryFriendGraph,
  MemoryNotifier,
  MemoryPresenceStore,
  PresenceService,
  type PresenceServiceOptions,
  type PresenceStore,
  type ServerFrame,
} from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** The presence timeout of every test service. */
export const TIMEOUT = 180_000;

/** alice–bob and alice–carol are friends (carol's row exists both ways); dave is a stranger;
 *  alice → erin is pending. bob shares only x.github.io; carol shares all but facebook.com. */
export const seed: FriendGraphSeed = {
  users: [
    { userId: 'alice', firstName: 'Alice', lastName: 'A', profileImageExtension: 'png' },
    {
      userId: 'bob',
      firstName: 'Bob',
      lastName: 'B',
      profileImageExtension: null,
      sharing: { shareMode: 'default_none', domainAllowList: ['x.github.io'], domainDenyList: [] },
    },
    {
      userId: 'carol',
      firstName: 'Carol',
      lastName: 'C',
      profileImageExtension: 'jpg',
      sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['facebook.com'] },
    },
    { userId: 'dave', firstName: 'Dave', lastName: 'D', profileImageExtension: null },
    { userId: 'erin', firstName: 'Erin', lastName: 'E', profileImageExtension: null },
  ],
  friendships: [
    { from: 'alice', to: 'bob', accepted: true },
    { from: 'carol', to: 'alice', accepted: true },
    { from: 'alice', to: 'carol', accepted: true },
    { from: 'alice', to: 'erin', accepted: false },
    { from: 'ghost', to: 'alice', accepted: true },
  ],
};

/** One service over memory adapters and a fake clock. */
export interface World {
  clock: FakeClock;
  store: MemoryPresenceStore;
  graph: MemoryFriendGraph;
  notifier: MemoryNotifier;
  service: PresenceService;
}

/** A fresh world; `options` are passed to the service on top of the test defaults. */
export function world(
  overrides: { store?: PresenceStore; graph?: FriendGraph; batch?: number; clock?: FakeClock } = {},
  options: Partial<PresenceServiceOptions> = {},
) {
  const clock = overrides.clock ?? new FakeClock();
  const store = new MemoryPresenceStore({ clock });
  const graph = new MemoryFriendGraph(seed);
  const notifier = new MemoryNotifier();
  const service = new PresenceService({
    store: overrides.store ?? store,
    graph: overrides.graph ?? graph,
    notifier,
    clock,
    timeoutMs: TIMEOUT,
    sweepBatchSize: overrides.batch ?? 500,
    ...options,
  });
  return { clock, store, graph, notifier, service };
}

/** `target` with some methods replaced; the others stay bound to `target` (private fields work). */
export function override<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop in overrides) return overrides[prop as keyof T];
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/** The fake clock's start (1_700_000_000_000, 22:13:20 UTC) rounded down to 5 minutes. */
export const SEEN_AT_START = '2023-11-14T22:10:00.000Z';

/** The presence-timeout frame of `userId`, with the `lastSeenAt` it carries. */
export const timeoutOf = (userId: string, lastSeenAt: string | null = SEEN_AT_START) => ({
  type: 'presence-timeout' as const,
  userId,
  lastSeenAt,
});

export const conn = (userId: string, connectionId: string) => ({ userId, connectionId });
export const page = (url: string, title = 'Title') => ({ url, title });
export const types = (frames: ServerFrame[]) =>
  frames.map((f) => `${f.type}:${'userId' in f ? f.userId : ''}`);

export async function snapshot(w: World, users = ['alice', 'bob', 'carol', 'dave', 'erin']) {
  return {
    presence: [...(await w.store.presenceOf(users)).entries()],
    connections: [...(await w.store.connectionsOf(users)).entries()],
  };
}

/** A service over `w` in sweep batches of 2 whose graph records each friendsOfMany call. */
export function askingService(w: World): { asked: string[][]; service: PresenceService } {
  const asked: string[][] = [];
  const graph = override<FriendGraph>(w.graph, {
    friendsOfMany: async (ids: readonly string[]) => {
      asked.push([...ids].sort());
      return w.graph.friendsOfMany(ids);
    },
  });
  const service = new PresenceService({
    store: w.store,
    graph,
    notifier: w.notifier,
    clock: w.clock,
    timeoutMs: TIMEOUT,
    sweepBatchSize: 2,
  });
  return { asked, service };
}
