import { InvalidInputError } from './errors.js';
import { DEFAULT_LIMITS, type PresenceLimits } from './limits.js';
import type { SharingSettings } from './model.js';
import type { FriendsAndSettings } from './ports.js';

/** One user's answer from {@link FriendCache.getMany}: the cached entry, or a version to fill it with. */
export type FriendCacheLookup =
  | { readonly hit: true; readonly entry: FriendsAndSettings }
  | {
      readonly hit: false;
      /** Hand it to {@link FriendCache.set}: the fill is refused if the user was invalidated since. */
      readonly version: string;
    };

/**
 * A cache of users' accepted friends and own sharing settings (what update-presence reads), in
 * front of the user service's database. `CachingFriendGraph` is its one caller.
 *
 * Contract, for every implementation (held by `describeFriendCache` in `@presence/core/testing`):
 * - `getMany` answers every requested id once: a hit with the entry exactly as set (any id
 *   characters, empty friend lists and `settings: undefined` included), or a miss with a version.
 *   One round trip (one per node on a cluster); an empty list costs none.
 * - `set(userId, entry, version, ttlMs)` stores the entry for `ttlMs` only when no `invalidate` of
 *   that user happened since the `getMany` that handed out `version`, atomically, and says whether
 *   it stored. So a graph read that started before an invalidation never puts its answer back.
 * - `invalidate(userIds)` removes the entries and voids every version handed out before for those
 *   users, for at least the adapter's invalidation window (60 s by default; a graph read slower
 *   than that could put its answer back until its TTL). Idempotent; unknown users are fine.
 * - An entry is served for `ttlMs` after its `set`, then is a miss.
 * - Bad input (ids not a list of non-empty strings within the id limit, a TTL that is not a
 *   positive integer of ms, a malformed entry) throws `InvalidInputError` and changes nothing.
 * - Backend failures throw `StoreUnavailableError` (503) with the driver error as `cause`.
 */
export interface FriendCache {
  /** The cached entry of each given user, or a miss with a version. */
  getMany(userIds: readonly string[]): Promise<Map<string, FriendCacheLookup>>;
  /** Stores `entry` for `ttlMs` unless `userId` was invalidated since `version` was handed out. */
  set(userId: string, entry: FriendsAndSettings, version: string, ttlMs: number): Promise<boolean>;
  /** Drops the entries of these users and voids their outstanding versions. */
  invalidate(userIds: readonly string[]): Promise<void>;
  /** Releases the backend client if the cache created it. */
  close?(): Promise<void>;
}

/** Default invalidation window of the cache adapters: longer than any graph read may take. */
export const DEFAULT_INVALIDATION_WINDOW_MS = 60_000;

/**
 * Checks the ids of a {@link FriendCache} call: an array of non-empty strings of at most
 * `maxUserIdLength` characters; returns them deduplicated. For adapters.
 * @throws InvalidInputError naming the bad position
 */
export function friendCacheIds(
  userIds: readonly string[],
  limits: PresenceLimits = DEFAULT_LIMITS,
): string[] {
  if (!Array.isArray(userIds)) throw new InvalidInputError('userIds must be an array');
  const unique = new Set<string>();
  userIds.forEach((id, index) => {
    unique.add(friendCacheId(id, `userIds[${index}]`, limits));
  });
  return [...unique];
}

/** Checks one id of a {@link FriendCache} call (see {@link friendCacheIds}). */
export function friendCacheId(
  value: unknown,
  field = 'userId',
  limits: PresenceLimits = DEFAULT_LIMITS,
): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError(`${field} must be a non-empty string`);
  }
  if (value.length > limits.maxUserIdLength) {
    throw new InvalidInputError(`${field} is longer than ${limits.maxUserIdLength} characters`);
  }
  return value;
}

/** Checks a TTL of {@link FriendCache.set}: a positive integer of milliseconds. */
export function friendCacheTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new InvalidInputError(`ttlMs must be a positive integer of milliseconds, got ${ttlMs}`);
  }
  return ttlMs;
}

const isStringList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Checks an entry handed to {@link FriendCache.set} and returns a frozen copy: friends a list of
 * strings, settings `undefined` or a {@link SharingSettings} with a known mode and string lists.
 * @throws InvalidInputError
 */
export function friendCacheEntry(entry: FriendsAndSettings): FriendsAndSettings {
  if (typeof entry !== 'object' || entry === null || !isStringList(entry.friends)) {
    throw new InvalidInputError('entry must have a friends list of strings');
  }
  const settings = entry.settings;
  if (settings === undefined)
    return Object.freeze({ friends: Object.freeze([...entry.friends]), settings });
  if (
    typeof settings !== 'object' ||
    settings === null ||
    (settings.shareMode !== 'default_all' && settings.shareMode !== 'default_none') ||
    !isStringList(settings.domainAllowList) ||
    !isStringList(settings.domainDenyList)
  ) {
    throw new InvalidInputError('entry settings must be undefined or sharing settings');
  }
  return Object.freeze({
    friends: Object.freeze([...entry.friends]),
    settings: Object.freeze({
      shareMode: settings.shareMode,
      domainAllowList: Object.freeze([...settings.domainAllowList]),
      domainDenyList: Object.freeze([...settings.domainDenyList]),
    } satisfies SharingSettings),
  });
}
