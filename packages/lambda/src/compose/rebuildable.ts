import type { SecretSource } from '../aws/index.js';

/** A client built on first use, rebuilt with fresh credentials after an authentication failure. */
export interface Rebuildable<T> {
  /** The current client, built on first use; a failed build is retried on the next call. */
  get(): Promise<T>;
  /**
   * Drops `stale` (closing it) and builds again with credentials read afresh, unless another call
   * already did: then the client it built is returned, so a burst of failures rotates once.
   */
  rebuild(stale: T): Promise<T>;
  /** The client built, if any (to close it). */
  built(): T | undefined;
}

/**
 * Holds a client built by `build(fresh)`: `fresh` is true after an authentication failure, when the
 * credentials must be read again rather than served from the cache.
 */
export function rebuildable<T extends { close?(): Promise<void> }>(
  build: (fresh: boolean) => Promise<T>,
): Rebuildable<T> {
  let pending: Promise<T> | undefined;
  let current: T | undefined;
  const start = (fresh: boolean) => {
    const attempt = build(fresh).then((client) => {
      current = client;
      return client;
    });
    pending = attempt;
    attempt.catch(() => {
      if (pending === attempt) pending = undefined;
    });
    return attempt;
  };
  return {
    get: () => pending ?? start(false),
    async rebuild(stale) {
      if (current !== stale && pending !== undefined) return pending;
      current = undefined;
      const next = start(true);
      await stale.close?.().catch(() => undefined);
      return next;
    },
    built: () => current,
  };
}

/**
 * Runs `run` on the held client; when it fails with an authentication error and the credentials
 * come from a secret, rebuilds the client with the secret read again and retries once. The retry
 * is safe: a refused authentication ran nothing.
 */
export async function withRotation<T extends { close?(): Promise<void> }, R>(
  holder: Rebuildable<T>,
  run: (client: T) => Promise<R>,
  isAuthFailure: (error: unknown) => boolean,
  onRotate: () => void,
): Promise<R> {
  const client = await holder.get();
  try {
    return await run(client);
  } catch (error) {
    if (!isAuthFailure(error)) throw error;
    onRotate();
    return run(await holder.rebuild(client));
  }
}

/** Reads a secret: from the cache, or afresh after an authentication failure. */
export function readSecret(secrets: SecretSource, arn: string, fresh: boolean): Promise<string> {
  return fresh ? secrets.refresh(arn) : secrets.read(arn);
}
