import type { OutboxEntry } from './durable-ports.js';
import type { ConnectionRef, OnlineRecord, Page, SharingSettings, UserProfile } from './model.js';
import type { ServerFrame } from './schemas.js';

export type {
  DurablePresenceStore,
  LastSeenSource,
  OfflineOutbox,
  OutboxEntry,
  PartitionMark,
  PresenceWithLastSeen,
  ReconcileProgress,
  SweepMarkers,
} from './durable-ports.js';
export { isLastSeenSource, isOfflineOutbox, isSweepMarkers } from './durable-ports.js';

/** Milliseconds since the epoch. Injected so tests drive time instead of sleeping. */
export interface Clock {
  /** The current time, in milliseconds since the epoch. */
  now(): number;
}

/** What {@link PresenceStore.removeConnection} removed. */
export interface RemovedConnection {
  readonly userId: string;
  /** True when it was the user's last connection: the user is now offline and their pages are gone. */
  readonly userOffline: boolean;
  /**
   * The outbox entry recorded in the same atomic step when `userOffline` and the store keeps an
   * outbox ({@link OfflineOutbox}); acknowledge it once the friends were told.
   */
  readonly announcement?: OutboxEntry;
}

/** What {@link PresenceStore.touch} and {@link PresenceStore.setPage} found before they wrote. */
export interface TouchResult {
  /**
   * False when the store did not know the connection (it was swept, or the store lost its data) and
   * registered it again from the caller's `(userId, connectionId)`.
   */
  readonly wasRegistered: boolean;
  /**
   * Other connections of the same user that this write removed because it took the user past
   * {@link UpsertOptions.maxConnections}: the least recently seen first. Their sockets should be
   * closed. Absent or empty when none.
   */
  readonly evicted?: readonly string[];
  /**
   * True when {@link FrameOptions.rateLimit} refused the write: nothing was changed (not even
   * last-seen) and `wasRegistered` says whether the connection is known.
   */
  readonly rateLimited?: boolean;
  /**
   * True when this write brought the user online: they had no connection before it (first
   * connection, back after going offline, or re-registered after the store lost them). Absent
   * otherwise, and on a refused write. The service records an `online` activity from it.
   */
  readonly cameOnline?: boolean;
}

/** What {@link PresenceStore.setPage} stored. */
export interface SetPageResult extends TouchResult {
  /** The user's last shared page after the write (`null` when nothing was shared this session, or refused). */
  readonly latestPage: Page | null;
  /**
   * True when {@link PageOptions.frameFingerprint} equalled the fingerprint the store kept for the
   * user (see there): every recipient already holds the frame this write leads to. The write itself
   * (liveness, page) happened as usual. Absent otherwise.
   */
  readonly unchanged?: boolean;
}

/** One batch of {@link PresenceStore.sweep}. */
export interface SweepBatch {
  /** Connections removed because their last-seen is before the cutoff. */
  readonly expired: readonly ConnectionRef[];
  /** Users left with no connection by this batch: offline now, their pages removed. */
  readonly offline: readonly string[];
  /** True when stale connections may remain: call again. */
  readonly more: boolean;
  /** One outbox entry per user of `offline`, recorded in the same atomic step (stores with an outbox). */
  readonly announcements?: readonly OutboxEntry[];
  /**
   * Connections last seen before the cutoff (`stale`) and all connections (`total`), counted before
   * this batch removed anything. Optional: the sweep reports the share that times out at once.
   */
  readonly counts?: { readonly stale: number; readonly total: number };
}

/** A per-connection token bucket: `burst` frames at once, refilled at `perSecond`. */
export interface RateLimit {
  /** Tokens added per second of the callers' clock (fractions allowed). */
  readonly perSecond: number;
  /** Bucket size: the most frames accepted at once after a quiet period (at least 1). */
  readonly burst: number;
}

/** Options of the writes that register or refresh a connection (add, touch, setPage). */
export interface UpsertOptions {
  /**
   * Refuse the write when the backend runs it after this time (ms, the callers' clock, compared with
   * the backend's own clock: keep them NTP-synchronised). A refused write changes nothing and throws
   * {@link StoreUnavailableError}. So a caller that stopped waiting at the deadline can answer 503
   * knowing the write will not land later. @default no deadline
   */
  readonly deadline?: number;
  /**
   * Most connections the user may hold. When this write registers a connection that takes the user
   * past it, the user's least recently seen other connections (ties: the smaller id) are removed in
   * the same atomic step and returned in {@link TouchResult.evicted}. @default no cap
   */
  readonly maxConnections?: number;
}

/** Options of the writes a client frame causes (touch, setPage). */
export interface FrameOptions extends UpsertOptions {
  /**
   * The connection's token bucket, checked and consumed in the same atomic step as the write, on the
   * callers' `now`. An empty bucket refuses the write ({@link TouchResult.rateLimited}) and changes
   * nothing. A connection the store does not know starts with a full bucket. @default no limit
   */
  readonly rateLimit?: RateLimit;
}

/** Options of {@link PresenceStore.setPage}. */
export interface PageOptions extends FrameOptions {
  /**
   * Opaque fingerprint (1 to 128 characters) of the `update-presence` frame this write leads to: the
   * service derives it from everything the frame and its recipients depend on. The store keeps one
   * per user, in the same atomic step as the write: when it equals the kept one the result says
   * `unchanged: true`, otherwise the new one is kept (`unchanged` false). The kept fingerprint is
   * forgotten by every write that registers a connection of the user (add, touch or setPage of a
   * connection the store did not know: a new or re-opened socket must get the next frame), by a
   * setPage without a fingerprint, and with the rest of the user's data when they go offline. A
   * refused write (rate limit, deadline) changes nothing. @default none: nothing compared, the kept
   * one forgotten
   */
  readonly frameFingerprint?: string;
}

/** Options of {@link PresenceStore.removeConnection}. */
export interface RemoveOptions {
  /** Time of the removal (ms, the callers' clock): when the outbox entry is recorded. @default the store's own clock (the memory store's `clock`; `Date.now()` for Redis) */
  readonly now?: number;
  /**
   * True when the removal is the user's own act (`$disconnect`): `now` then counts as their last
   * activity. False for a connection found gone (HTTP 410): its last-seen stands. @default false
   */
  readonly userAction?: boolean;
}

/** Options of {@link PresenceStore.sweep}. */
export interface SweepCallOptions {
  /** Time of the sweep (ms, the callers' clock): when outbox entries are recorded. @default the store's own clock (as {@link RemoveOptions.now}) */
  readonly now?: number;
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
 *   sweep), their page and latest page are removed in the same atomic step, and a store that keeps an
 *   outbox ({@link OfflineOutbox}) records the announcement to make in that same step. A write that
 *   brings the user online anew drops their pending outbox entry and last-seen in its step.
 * - Removing a connection costs the same whatever the user's connection count (a kept count, never a
 *   scan of the user's connections).
 * - Writes that carry `(userId, connectionId)` (add, touch, setPage) upsert the connection, so a
 *   store that lost its data recovers on the next heartbeat or update. Their options
 *   ({@link UpsertOptions}, {@link FrameOptions}) are enforced in the same atomic step.
 * - Removes are idempotent: removing an unknown connection returns `undefined` and changes nothing.
 * - `sweep(cutoff)` removes exactly the connections whose last-seen is strictly before `cutoff`; a
 *   connection touched at or after `cutoff` is never removed, whatever the interleaving.
 * - Every key has a TTL refreshed on activity, so nothing outlives a dead sweeper for long.
 * - Batch reads accept unknown ids and leave them out of the result.
 * - Backend failures throw {@link StoreUnavailableError} with the driver error as `cause`, and leave
 *   no partial state.
 * - Timestamps are the caller's clock (milliseconds), never the backend's; only
 *   {@link UpsertOptions.deadline} is compared with the backend's clock.
 */
export interface PresenceStore {
  /** Registers a connection (idempotent) with last-seen `now`; the user is online, page hidden if new. */
  addConnection(ref: ConnectionRef, now: number, options?: UpsertOptions): Promise<TouchResult>;
  /** Removes a connection; when it was the user's last, the user goes offline. `undefined` when unknown. */
  removeConnection(
    connectionId: string,
    options?: RemoveOptions,
  ): Promise<RemovedConnection | undefined>;
  /** Sets the connection's and user's last-seen to `now` (re-registering the connection if unknown). */
  touch(ref: ConnectionRef, now: number, options?: FrameOptions): Promise<TouchResult>;
  /**
   * Touches like {@link touch}, stores `page` as the current page and, when `shared`, as the latest
   * shared page too, in one atomic step. A hidden page (`url: ""`) is never stored as latest. With
   * {@link PageOptions.frameFingerprint}, also compares and keeps the user's frame fingerprint.
   */
  setPage(
    ref: ConnectionRef,
    page: Page,
    shared: boolean,
    now: number,
    options?: PageOptions,
  ): Promise<SetPageResult>;
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
  sweep(cutoff: number, limit: number, options?: SweepCallOptions): Promise<SweepBatch>;
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
  /**
   * Sharing settings of the user and of each friend, as {@link FriendGraph.sharingSettingsOf}
   * answers them (the service applies each user's current rule to their pages); ids without
   * settings are absent.
   */
  readonly settings: ReadonlyMap<string, SharingSettings>;
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
  /** Detail for troubleshooting; may hold personal data (off in production unless sampled). */
  debug(fields: Record<string, unknown>, message: string): void;
  /** One line per operation: ids and counts, nothing personal. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Something degraded but handled (a deferred announcement, a held sweep, a failed append). */
  warn(fields: Record<string, unknown>, message: string): void;
  /** An operation failed (a 5xx). */
  error(fields: Record<string, unknown>, message: string): void;
}
