import type { ConnectionRef, OnlineRecord, Page, SharingSettings, UserProfile } from './model.js';
import type { ServerFrame } from './schemas.js';

/** Milliseconds since the epoch. Injected so tests drive time instead of sleeping. */
export interface Clock {
  now(): number;
}

/** What {@link PresenceStore.removeConnection} removed. */
export interface RemovedConnection {
  readonly userId: string;
  /** True when it was the user's last connection: the user is now offline and their pages are gone. */
  readonly userOffline: boolean;
}

/** What {@link PresenceStore.touch} and {@link PresenceStore.setPage} found before they wrote. */
export interface TouchResult {
  /**
   * False when the store did not know the connection (it was swept, or the store lost its data) and
   * registered it again from the caller's `(userId, connectionId)`.
   */
  readonly wasRegistered: boolean;
}

/** What {@link PresenceStore.setPage} stored. */
export interface SetPageResult extends TouchResult {
  /** The user's last shared page after the write (`null` when nothing was shared this session). */
  readonly latestPage: Page | null;
}

/** One batch of {@link PresenceStore.sweep}. */
export interface SweepBatch {
  /** Connections removed because their last-seen is before the cutoff. */
  readonly expired: readonly ConnectionRef[];
  /** Users left with no connection by this batch: offline now, their pages removed. */
  readonly offline: readonly string[];
  /** True when stale connections may remain: call again. */
  readonly more: boolean;
}

/**
 * Where presence lives: connections, liveness and pages of online users.
 *
 * Contract, for every implementation (held by `describePresenceStore` in `@presence/core/testing`):
 * - Each method is atomic per user. The hot path (add, touch, setPage, userOfConnection) costs one
 *   round trip to the backend, on a single node and on a cluster; batch reads cost one round trip per
 *   node. Two exceptions on a cluster, where a connection id alone cannot name its user's slot:
 *   `removeConnection` may read the owner first (two round trips, still idempotent under
 *   concurrency), and `sweep` may count stale entries per shard before removing them.
 * - A user is online while they have at least one connection; when the last one goes (remove or
 *   sweep), their page and latest page are removed in the same atomic step.
 * - Writes that carry `(userId, connectionId)` (add, touch, setPage) upsert the connection, so a
 *   store that lost its data recovers on the next heartbeat or update.
 * - Removes are idempotent: removing an unknown connection returns `undefined` and changes nothing.
 * - `sweep(cutoff)` removes exactly the connections whose last-seen is strictly before `cutoff`; a
 *   connection touched at or after `cutoff` is never removed, whatever the interleaving.
 * - Every key has a TTL refreshed on activity, so nothing outlives a dead sweeper for long.
 * - Batch reads accept unknown ids and leave them out of the result.
 * - Backend failures throw {@link StoreUnavailableError} with the driver error as `cause`, and leave
 *   no partial state.
 * - Timestamps are the caller's clock (milliseconds), never the backend's.
 */
export interface PresenceStore {
  /** Registers a connection (idempotent) with last-seen `now`; the user is online, page hidden if new. */
  addConnection(ref: ConnectionRef, now: number): Promise<TouchResult>;
  /** Removes a connection; when it was the user's last, the user goes offline. `undefined` when unknown. */
  removeConnection(connectionId: string): Promise<RemovedConnection | undefined>;
  /** Sets the connection's and user's last-seen to `now` (re-registering the connection if unknown). */
  touch(ref: ConnectionRef, now: number): Promise<TouchResult>;
  /**
   * Touches like {@link touch}, stores `page` as the current page and, when `shared`, as the latest
   * shared page too, in one atomic step. A hidden page (`url: ""`) is never stored as latest.
   */
  setPage(ref: ConnectionRef, page: Page, shared: boolean, now: number): Promise<SetPageResult>;
  /** The user a connection belongs to, `undefined` when unknown. */
  userOfConnection(connectionId: string): Promise<string | undefined>;
  /**
   * Live connection ids of each given user; users with none are absent. With `seenSince`, only the
   * connections last seen at or after it: the sweep passes its cutoff, so that it does not announce
   * to sockets it is about to remove (in a mass timeout, most friends of a stale user are stale too).
   * A store that ignores `seenSince` stays correct, it only makes the sweep send more.
   */
  connectionsOf(userIds: readonly string[], seenSince?: number): Promise<Map<string, string[]>>;
  /** Presence of each given online user; offline and unknown users are absent. */
  presenceOf(userIds: readonly string[]): Promise<Map<string, OnlineRecord>>;
  /** Removes up to about `limit` connections last seen before `cutoff` (see the contract above). */
  sweep(cutoff: number, limit: number): Promise<SweepBatch>;
  /**
   * Users with a connection last seen at or after `seenSince` (each once), or `undefined` when more
   * than `limit` connections are. Optional: in a mass timeout the sweep reads the friends of these
   * few live users instead of the friends of every user it took offline; a store without it (or
   * answering `undefined`) makes the sweep read the other way, which is correct, only slower.
   */
  liveUsers?(seenSince: number, limit: number): Promise<string[] | undefined>;
  /** Releases the backend client if the store created it. */
  close?(): Promise<void>;
}

/** What {@link FriendGraph.friendsAndSettingsOf} reads in one query: what update-presence needs. */
export interface FriendsAndSettings {
  /** Accepted friends, either direction, deduplicated, never the user. */
  readonly friends: readonly string[];
  /** The user's own sharing settings; `undefined` when the user is unknown or the graph keeps none. */
  readonly settings: SharingSettings | undefined;
}

/** What {@link FriendGraph.friendsWithProfilesOf} reads in one query: what `GET /presence` needs. */
export interface FriendsWithProfiles {
  /** Accepted friends, either direction, deduplicated, never the user. */
  readonly friends: readonly string[];
  /** Profiles of the user and of each friend; ids the user service does not know are absent. */
  readonly profiles: ReadonlyMap<string, UserProfile>;
}

/**
 * The friend graph, profiles and sharing settings, owned by the user service; read only.
 *
 * Contract (held by `describeFriendGraph` in `@presence/core/testing`):
 * - Friends are accepted friendships in either direction, deduplicated, never including the user.
 *   Pending requests do not count.
 * - Unknown user ids are not errors: no friends, no profile, no settings.
 * - Each method is one query to the backend (none for an empty id list): the combined reads
 *   {@link friendsAndSettingsOf} and {@link friendsWithProfilesOf} answer a whole request in one.
 * - A graph may cache (see `CachingFriendGraph`): it then answers from data at most its TTL old,
 *   and {@link invalidate} makes the next read of the given users fresh.
 * - Backend failures throw {@link GraphUnavailableError} with the driver error as `cause`.
 */
export interface FriendGraph {
  /** Accepted friends of one user. */
  friendsOf(userId: string): Promise<string[]>;
  /** Accepted friends of many users in one query; every requested id has an entry (maybe empty). */
  friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Whether the two users are accepted friends (either direction). */
  areFriends(userId: string, otherUserId: string): Promise<boolean>;
  /** Profiles of the given users; unknown ids are absent. */
  profilesOf(userIds: readonly string[]): Promise<Map<string, UserProfile>>;
  /** A user's sharing settings; `undefined` when the user is unknown or the graph keeps none. */
  sharingSettingsOf(userId: string): Promise<SharingSettings | undefined>;
  /**
   * A user's accepted friends and own sharing settings in one query (update-presence). Same
   * answers as {@link friendsOf} and {@link sharingSettingsOf}; an unknown user gets
   * `{ friends: [], settings: undefined }`.
   */
  friendsAndSettingsOf(userId: string): Promise<FriendsAndSettings>;
  /**
   * A user's accepted friends with the profiles of the user and of every friend in one query
   * (`GET /presence`). Same answers as {@link friendsOf} then {@link profilesOf} of the user and
   * the friends; an unknown user gets no friends and no profile.
   */
  friendsWithProfilesOf(userId: string): Promise<FriendsWithProfiles>;
  /**
   * Forgets what the graph cached about these users: call it with the two users of a friendship
   * that was accepted or removed, or with a user whose sharing settings changed. Idempotent;
   * absent on graphs that cache nothing (nothing to forget).
   * @throws a 503-class error when the cache cannot be reached: the caller should retry
   */
  invalidate?(userIds: readonly string[]): Promise<void>;
  /** Releases the backend client if the graph created it. */
  close?(): Promise<void>;
}

/** Outcome of a notifier call, by connection id. */
export interface NotifyReport {
  /** Connections that received the frame (or were closed). */
  readonly delivered: readonly string[];
  /** Connections the gateway no longer knows (HTTP 410): the service removes them from the store. */
  readonly gone: readonly string[];
  /** Connections that failed for another reason (throttled, gateway error); nothing is removed. */
  readonly failed: readonly string[];
}

/**
 * Sends frames to WebSocket connections (API Gateway `@connections`, or local sockets).
 * Calls never throw for one bad connection: each id ends in exactly one list of the report.
 * Sends run with bounded concurrency.
 */
export interface ConnectionNotifier {
  /** Sends one frame to each connection. */
  send(connectionIds: readonly string[], frame: ServerFrame): Promise<NotifyReport>;
  /** Closes the sockets (the sweep's stale connections), so clients reconnect. */
  close(connectionIds: readonly string[]): Promise<NotifyReport>;
}

/** Structured logger. Fields must never carry URLs, titles, tokens or friend lists at `info`. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
