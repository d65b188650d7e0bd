import { systemClock } from '../clock.js';
import { ConfigError } from '../errors.js';
import {
  DEFAULT_INVALIDATION_WINDOW_MS,
  type FriendCache,
  type FriendCacheLookup,
  friendCacheEntry,
  friendCacheId,
  friendCacheIds,
  friendCacheTtl,
} from '../friend-cache.js';
import { DEFAULT_LIMITS, type PresenceLimits } from '../limits.js';
import type { Clock, FriendsAndSettings } from '../ports.js';

/** Options of {@link MemoryFriendCache}. */
export interface MemoryFriendCacheOptions {
  /** Clock the TTLs and the invalidation window are measured with. @default systemClock */
  readonly clock?: Clock;
  /**
   * How long an invalidation voids the versions handed out before it: longer than any graph read.
   * @default 60_000
   */
  readonly invalidationWindowMs?: number;
  /** Id limits. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
}

interface Timed<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** Writes between two scans for expired records, so memory stays bounded without a timer. */
const PRUNE_EVERY = 1024;

/**
 * {@link FriendCache} in process memory: the reference the `describeFriendCache` suite is proven
 * on, and a per-process cache for a long-running server. Each method runs synchronously inside its
 * promise, so each is atomic. Versions come from one counter, so a voided one never comes back.
 * @example
 * const graph = withFriendCache(new MemoryFriendGraph(seed), {
 *   cache: new MemoryFriendCache(),
 *   ttlSeconds: 60,
 * });
 */
export class MemoryFriendCache implements FriendCache {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #limits: PresenceLimits;
  readonly #entries = new Map<string, Timed<FriendsAndSettings>>();
  /** The version of each user invalidated within the window; others are at version 0. */
  readonly #versions = new Map<string, Timed<number>>();
  #counter = 0;
  #writes = 0;

  constructor(options: MemoryFriendCacheOptions = {}) {
    const windowMs = options.invalidationWindowMs ?? DEFAULT_INVALIDATION_WINDOW_MS;
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new ConfigError(`invalidationWindowMs must be a positive integer, got ${windowMs}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#windowMs = windowMs;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, FriendCacheLookup>> {
    const ids = friendCacheIds(userIds, this.#limits);
    const now = this.#clock.now();
    const result = new Map<string, FriendCacheLookup>();
    for (const id of ids) {
      const cached = this.#entries.get(id);
      if (cached !== undefined && cached.expiresAt > now) {
        result.set(id, { hit: true, entry: cached.value });
      } else {
        result.set(id, { hit: false, version: String(this.#versionOf(id, now)) });
      }
    }
    return result;
  }

  async set(
    userId: string,
    entry: FriendsAndSettings,
    version: string,
    ttlMs: number,
  ): Promise<boolean> {
    const id = friendCacheId(userId, 'userId', this.#limits);
    const value = friendCacheEntry(entry);
    const ttl = friendCacheTtl(ttlMs);
    const now = this.#clock.now();
    if (String(this.#versionOf(id, now)) !== version) return false;
    this.#entries.set(id, { value, expiresAt: now + ttl });
    this.#wrote(now);
    return true;
  }

  async invalidate(userIds: readonly string[]): Promise<void> {
    const ids = friendCacheIds(userIds, this.#limits);
    const now = this.#clock.now();
    for (const id of ids) {
      this.#entries.delete(id);
      this.#counter += 1;
      this.#versions.set(id, { value: this.#counter, expiresAt: now + this.#windowMs });
      this.#wrote(now);
    }
  }

  /** Nothing to release; present so callers can treat every cache alike. */
  async close(): Promise<void> {}

  #versionOf(id: string, now: number): number {
    const version = this.#versions.get(id);
    return version !== undefined && version.expiresAt > now ? version.value : 0;
  }

  #wrote(now: number): void {
    this.#writes += 1;
    if (this.#writes % PRUNE_EVERY !== 0) return;
    for (const map of [this.#entries, this.#versions] as Map<string, Timed<unknown>>[]) {
      for (const [id, record] of map) if (record.expiresAt <= now) map.delete(id);
    }
  }
}
