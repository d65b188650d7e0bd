import { type Logger, PresenceError } from '@presence/core';
import type { SecretSource } from '../aws/index.js';
import { currentRecorder, recordCredentialRefresh } from './metrics.js';

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

/** How one backend's client rotates its credentials. */
export interface RotationPolicy {
  /** `redis` or `postgres`, in the log line. */
  readonly backend: string;
  /** Whether the credentials come from a secret (else there is nothing to re-read). */
  readonly fromSecret: boolean;
  /** The backend refused the credentials (WRONGPASS, 28P01...). */
  readonly isAuthFailure: (error: unknown) => boolean;
  /** The 503 for a client that could not be built (the secret could not be read). */
  readonly unavailable: (cause: unknown) => PresenceError;
  readonly logger: Logger;
}

/**
 * Runs `run` on the held client. When it fails with an authentication error and the credentials
 * come from a secret, rebuilds the client with the secret read again (logged at warn, counted as
 * `CredentialRefreshes`) and retries once: safe, since a refused authentication ran nothing.
 */
export async function withRotation<T extends { close?(): Promise<void> }, R>(
  holder: Rebuildable<T>,
  run: (client: T) => Promise<R>,
  policy: RotationPolicy,
): Promise<R> {
  try {
    const client = await holder.get();
    try {
      return await run(client);
    } catch (error) {
      if (!policy.fromSecret || !policy.isAuthFailure(error)) throw error;
      policy.logger.warn(
        { op: policy.backend, code: 'auth_failed' },
        `${policy.backend} refused the credentials: reading the secret again`,
      );
      recordCredentialRefresh(currentRecorder());
      return await run(await holder.rebuild(client));
    }
  } catch (error) {
    throw PresenceError.isInstance(error) ? error : policy.unavailable(error);
  }
}

/** Reads a secret: from the cache, or afresh after an authentication failure. */
export function readSecret(secrets: SecretSource, arn: string, fresh: boolean): Promise<string> {
  return fresh ? secrets.refresh(arn) : secrets.read(arn);
}
