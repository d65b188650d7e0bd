import { ConfigError } from '../errors.js';
import type { FriendGraphSeed, SharingSettings, UserProfile } from '../model.js';
import type { FriendGraph, FriendsAndSettings, FriendsWithProfiles } from '../ports.js';

function assertSeedId(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`friend graph seed: ${where} must be a non-empty string`);
  }
  return value;
}

/**
 * {@link FriendGraph} over a {@link FriendGraphSeed} held in memory: the local runtime's demo data
 * and the reference the conformance suite is proven on. Accepted rows count in either direction,
 * duplicates and self rows are ignored, pending rows are not friendships.
 * @throws ConfigError when the seed is malformed (missing ids, a user listed twice)
 * @example
 * const graph = new MemoryFriendGraph({
 *   users: [{ userId: 'alice', firstName: 'Alice', lastName: 'A', profileImageExtension: null }],
 *   friendships: [{ from: 'alice', to: 'bob', accepted: true }],
 * });
 */
export class MemoryFriendGraph implements FriendGraph {
  readonly #friends = new Map<string, Set<string>>();
  readonly #profiles = new Map<string, UserProfile>();
  readonly #sharing = new Map<string, SharingSettings>();

  constructor(seed: FriendGraphSeed) {
    if (!Array.isArray(seed?.users) || !Array.isArray(seed?.friendships)) {
      throw new ConfigError('friend graph seed must have `users` and `friendships` arrays');
    }
    seed.users.forEach((user, index) => {
      const userId = assertSeedId(user?.userId, `users[${index}].userId`);
      if (this.#profiles.has(userId)) {
        throw new ConfigError(`friend graph seed: users[${index}] repeats user id "${userId}"`);
      }
      this.#profiles.set(
        userId,
        Object.freeze({
          userId,
          firstName: user.firstName,
          lastName: user.lastName,
          profileImageExtension: user.profileImageExtension ?? null,
        }),
      );
      if (user.sharing !== undefined) {
        this.#sharing.set(
          userId,
          Object.freeze({
            shareMode: user.sharing.shareMode,
            domainAllowList: Object.freeze([...user.sharing.domainAllowList]),
            domainDenyList: Object.freeze([...user.sharing.domainDenyList]),
          }),
        );
      }
    });
    seed.friendships.forEach((row, index) => {
      const from = assertSeedId(row?.from, `friendships[${index}].from`);
      const to = assertSeedId(row?.to, `friendships[${index}].to`);
      if (typeof row.accepted !== 'boolean') {
        throw new ConfigError(
          `friend graph seed: friendships[${index}].accepted must be a boolean`,
        );
      }
      if (!row.accepted || from === to) return;
      this.#link(from, to);
      this.#link(to, from);
    });
  }

  async friendsOf(userId: string): Promise<string[]> {
    return [...(this.#friends.get(userId) ?? [])];
  }

  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return new Map(userIds.map((userId) => [userId, [...(this.#friends.get(userId) ?? [])]]));
  }

  async areFriends(userId: string, otherUserId: string): Promise<boolean> {
    return this.#friends.get(userId)?.has(otherUserId) ?? false;
  }

  async profilesOf(userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    const result = new Map<string, UserProfile>();
    for (const userId of userIds) {
      const profile = this.#profiles.get(userId);
      if (profile !== undefined) result.set(userId, profile);
    }
    return result;
  }

  async sharingSettingsOf(userId: string): Promise<SharingSettings | undefined> {
    return this.#sharing.get(userId);
  }

  async friendsAndSettingsOf(userId: string): Promise<FriendsAndSettings> {
    return { friends: [...(this.#friends.get(userId) ?? [])], settings: this.#sharing.get(userId) };
  }

  async friendsWithProfilesOf(userId: string): Promise<FriendsWithProfiles> {
    const friends = [...(this.#friends.get(userId) ?? [])];
    const profiles = new Map<string, UserProfile>();
    const settings = new Map<string, SharingSettings>();
    for (const id of [userId, ...friends]) {
      const profile = this.#profiles.get(id);
      if (profile !== undefined) profiles.set(id, profile);
      const sharing = this.#sharing.get(id);
      if (sharing !== undefined) settings.set(id, sharing);
    }
    return { friends, profiles, settings };
  }

  /**
   * Makes two users accepted friends (`true`) or strangers (`false`), as the user service's database
   * would after a request is accepted or a friendship removed. Like a database change, it tells no
   * cache: call `PresenceService.friendshipChanged(a, b)` after it.
   */
  setFriendship(userId: string, otherUserId: string, accepted: boolean): void {
    const a = assertSeedId(userId, 'userId');
    const b = assertSeedId(otherUserId, 'otherUserId');
    if (a === b) return;
    if (accepted) {
      this.#link(a, b);
      this.#link(b, a);
    } else {
      this.#friends.get(a)?.delete(b);
      this.#friends.get(b)?.delete(a);
    }
  }

  /**
   * Replaces a user's sharing settings (`undefined` removes them), as the user service would. Tells
   * no cache: call `PresenceService.sharingSettingsChanged(userId)` after it.
   */
  setSharing(userId: string, settings: SharingSettings | undefined): void {
    const id = assertSeedId(userId, 'userId');
    if (settings === undefined) {
      this.#sharing.delete(id);
      return;
    }
    this.#sharing.set(
      id,
      Object.freeze({
        shareMode: settings.shareMode,
        domainAllowList: Object.freeze([...settings.domainAllowList]),
        domainDenyList: Object.freeze([...settings.domainDenyList]),
      }),
    );
  }

  /** Nothing to release; present so callers can treat every graph alike. */
  async close(): Promise<void> {}

  #link(userId: string, friendId: string): void {
    let friends = this.#friends.get(userId);
    if (friends === undefined) {
      friends = new Set();
      this.#friends.set(userId, friends);
    }
    friends.add(friendId);
  }
}
