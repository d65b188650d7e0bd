import { ConfigError, isUnavailable, PresenceError } from './errors.js';
import type { FriendCache, FriendCacheLookup } from './friend-cache.js';
import type { SharingSettings, UserProfile } from './model.js';
import type { FriendGraph, FriendsAndSettings, FriendsWithProfiles, Logger } from './ports.js';

/** Options of {@link withFriendCache} and {@link CachingFriendGraph}. */
export interface FriendCacheOptions {
  /** Where entries live (`RedisFriendCache` shared by every container, or `MemoryFriendCache`). */
  readonly cache: FriendCache;
  /**
   * How long a user's friends and sharing settings are served from the cache (`friendCacheSeconds`):
   * without an invalidation, an unfriended user may still receive frames, and a settings change
   * may apply, this much later. `0` turns the cache off.
   */
  readonly ttlSeconds: number;
  /** Gets a `warn` (error code only) when the cache is unreachable and the graph is read instead. */
  readonly logger?: Logger;
}

/**
 * Puts a friend-list cache in front of `graph`, or returns `graph` itself when `ttlSeconds` is 0
 * (the default of `friendCacheSeconds`: off).
 * @throws ConfigError when `ttlSeconds` is not a whole number of seconds ≥ 0
 * @example
 * const graph = withFriendCache(new PostgresFriendGraph({ pool }), {
 *   cache: new RedisFriendCache({ client: redis }),
 *   ttlSeconds: 300,
 * });
 * await graph.invalidate?.(['alice', 'bob']); // a friendship between them changed
 */
export function withFriendCache(graph: FriendGraph, options: FriendCacheOptions): FriendGraph {
  checkTtlSeconds(options.ttlSeconds);
  return options.ttlSeconds === 0 ? graph : new CachingFriendGraph(graph, options);
}

function checkTtlSeconds(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new ConfigError(
      `friend cache ttlSeconds must be a whole number of seconds >= 0, got ${ttlSeconds}`,
    );
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A {@link FriendGraph} that serves each user's accepted friends and own sharing settings from a
 * {@link FriendCache} for `ttlSeconds`, reading `graph` on a miss (one query, then one cache
 * write). On a hit, update-presence (`friendsAndSettingsOf`), `friendsOf`, `sharingSettingsOf` and
 * `areFriends` read the graph 0 times; `friendsOfMany` reads only the misses (one query, not
 * filled: the sweep's users are going offline). Profiles are not cached: `profilesOf` and
 * `friendsWithProfilesOf` always read the graph.
 *
 * - Concurrent reads of one user share one cache lookup and, on a miss, one graph query.
 * - {@link invalidate} (a friendship between two users changed, or a user's settings did) makes
 *   the next read of those users fresh; a read already in flight does not put its answer back.
 * - An unreachable cache is not an outage: reads fall back to the graph (a `warn` per failure);
 *   `invalidate` does throw, so that the caller retries.
 * - Bad ids fail as the graph fails them or with the cache's `InvalidInputError`.
 */
export class CachingFriendGraph implements FriendGraph {
  readonly #graph: FriendGraph;
  readonly #cache: FriendCache;
  readonly #ttlMs: number;
  readonly #log: Logger;
  /** Reads of one user in progress, shared by concurrent callers. */
  readonly #inFlight = new Map<string, Promise<FriendsAndSettings>>();

  /** @throws ConfigError when `ttlSeconds` is not a positive whole number (use {@link withFriendCache} for 0) */
  constructor(graph: FriendGraph, options: FriendCacheOptions) {
    checkTtlSeconds(options.ttlSeconds);
    if (options.ttlSeconds === 0) {
      throw new ConfigError('CachingFriendGraph needs ttlSeconds > 0 (withFriendCache handles 0)');
    }
    this.#graph = graph;
    this.#cache = options.cache;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#log = options.logger ?? silent;
  }

  async friendsAndSettingsOf(userId: string): Promise<FriendsAndSettings> {
    // Concurrent reads of one user share one lookup (and, on a miss, one graph query): the
    // service's friendsOf and sharingSettingsOf side by side, a burst of a user's tabs.
    let pending = this.#inFlight.get(userId);
    if (pending === undefined) {
      const load = this.#load(userId);
      pending = load;
      this.#inFlight.set(userId, load);
      const forget = () => {
        if (this.#inFlight.get(userId) === load) this.#inFlight.delete(userId);
      };
      load.then(forget, forget);
    }
    const value = await pending;
    return { friends: [...value.friends], settings: value.settings };
  }

  async friendsOf(userId: string): Promise<string[]> {
    return [...(await this.friendsAndSettingsOf(userId)).friends];
  }

  async sharingSettingsOf(userId: string): Promise<SharingSettings | undefined> {
    return (await this.friendsAndSettingsOf(userId)).settings;
  }

  async areFriends(userId: string, otherUserId: string): Promise<boolean> {
    if (userId === otherUserId) return this.#graph.areFriends(userId, otherUserId);
    // Friendship is symmetric: either user's entry answers.
    const found = await this.#lookup([userId, otherUserId]);
    const mine = found.get(userId);
    if (mine?.hit) return mine.entry.friends.includes(otherUserId);
    const theirs = found.get(otherUserId);
    if (theirs?.hit) return theirs.entry.friends.includes(userId);
    return this.#graph.areFriends(userId, otherUserId);
  }

  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = await this.#lookup(userIds);
    const result = new Map<string, string[]>();
    const misses: string[] = [];
    for (const id of new Set(userIds)) {
      const lookup = found.get(id);
      if (lookup?.hit) result.set(id, [...lookup.entry.friends]);
      else misses.push(id);
    }
    if (misses.length > 0) {
      for (const [id, friends] of await this.#graph.friendsOfMany(misses)) result.set(id, friends);
    }
    return result;
  }

  profilesOf(userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    return this.#graph.profilesOf(userIds);
  }

  friendsWithProfilesOf(userId: string): Promise<FriendsWithProfiles> {
    return this.#graph.friendsWithProfilesOf(userId);
  }

  /** Drops the cached entries of these users (see {@link FriendGraph.invalidate}). */
  async invalidate(userIds: readonly string[]): Promise<void> {
    // Reads started from now on must not join one that began before the change.
    if (Array.isArray(userIds)) for (const id of userIds) this.#inFlight.delete(id);
    await this.#cache.invalidate(userIds);
  }

  /** Closes the graph and the cache (each releases only what it created). */
  async close(): Promise<void> {
    await Promise.all([this.#graph.close?.(), this.#cache.close?.()]);
  }

  /** One user's entry from the cache, or from the graph (then filled) on a miss. */
  async #load(userId: string): Promise<FriendsAndSettings> {
    // No answer at all: the cache could not be read, so nothing is filled either.
    const lookup = (await this.#lookup([userId])).get(userId);
    if (lookup?.hit) return lookup.entry;
    const fresh = await this.#graph.friendsAndSettingsOf(userId);
    if (lookup !== undefined) await this.#fill(userId, fresh, lookup.version);
    return fresh;
  }

  /** The cache's answers; when it is unreachable, every id is an unfillable miss. */
  async #lookup(userIds: readonly string[]): Promise<Map<string, FriendCacheLookup>> {
    if (userIds.length === 0) return new Map();
    try {
      return await this.#cache.getMany(userIds);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.#warn('getMany', error);
      return new Map();
    }
  }

  async #fill(userId: string, entry: FriendsAndSettings, version: string): Promise<void> {
    try {
      await this.#cache.set(userId, entry, version, this.#ttlMs);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.#warn('set', error);
    }
  }

  #warn(operation: string, error: unknown): void {
    const code = PresenceError.isInstance(error) ? error.code : 'internal';
    this.#log.warn(
      { op: 'friend-cache', operation, code },
      'friend cache unavailable: reading the friend graph',
    );
  }
}
