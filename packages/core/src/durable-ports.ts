import type { OnlineRecord } from './model.js';
import type { PresenceStore } from './ports.js';

// The ports of the store's fault handling: the outbox of offline transitions, the sweep markers and
// the last seen. Kept by the same backend as the PresenceStore (DESIGN.md invariants 5 and 7).

/** An offline transition waiting to be announced: an entry of the store's outbox (DESIGN.md invariant 7). */
export interface OutboxEntry {
  readonly userId: string;
  /**
   * The user's last activity (ms, the callers' clock): the time of their last heartbeat or update on
   * any connection (callers' clocks are expected to agree), or of the `$disconnect` that took them
   * offline, whichever is later. Never the sweep's time.
   */
  readonly lastActivity: number;
  /** Opaque token: {@link OfflineOutbox.ackOutbox} removes the entry only while it still carries it. */
  readonly claim: string;
}

/**
 * The outbox of offline transitions (DESIGN.md invariant 7), kept by the same backend as the
 * {@link PresenceStore} whose removals write it: `removeConnection` and `sweep` record an entry in the
 * very step that takes a user offline, so an announcement interrupted by any fault is found again.
 *
 * Contract (held by `describePresenceStore`):
 * - One entry per offline user: going offline again replaces it (new `claim`); coming back online
 *   (a write that creates the user anew) deletes it in that write's step.
 * - A recorded entry is claimable from `recordedAt + lease`; the lease lets the caller that took the
 *   user offline announce first. `claimOutbox(now, limit)` hands out up to `limit` claimable entries
 *   (each with a new `claim`) and makes them unclaimable until `now + lease`: two sweepers rarely get
 *   the same entry, and one that dies mid-way is retried after the lease (at least once).
 * - `ackOutbox(entries)` deletes each entry only while it still carries the given `claim`: an entry
 *   claimed again, or recorded anew since, survives. Unknown entries are ignored.
 * - Entries recorded more than the store's outbox TTL ago are dropped, never handed out (an
 *   announcement delayed that long is given up: see the adapter's README).
 * - Batch operations cost one round trip per node (a claim may count per shard first).
 */
export interface OfflineOutbox {
  /** Claims up to `limit` entries claimable at `now` (ms, callers' clock). */
  claimOutbox(now: number, limit: number): Promise<OutboxEntry[]>;
  /** Deletes the entries still carrying these claims; returns how many were deleted. */
  ackOutbox(entries: readonly OutboxEntry[]): Promise<number>;
}

/** What {@link SweepMarkers.markSweep} found for one partition. */
export interface PartitionMark {
  readonly partition: number;
  /** When the partition's marker was created (ms, callers' clock). */
  readonly epoch: number;
  /**
   * True when the marker was missing and this call created it *and* the store can lose data under
   * its callers (a restart, a failover, a lost shard): the partition's connections, outbox and pages
   * may be gone. A store that cannot (in memory) reports `false`.
   */
  readonly lost: boolean;
  /**
   * The latest gap this partition saw between two sweeps longer than the `gapMs` given to
   * {@link SweepMarkers.markSweep}: `from` the sweep before it, `to` the sweep after it. A lost
   * partition reports `{ from: epoch, to: epoch }`. Absent when there never was one.
   */
  readonly gap?: { readonly from: number; readonly to: number };
  /**
   * For a lost partition whose reconcile is not finished: the first partition whose live users
   * still have to be told (0 to `partitions - 1`). Absent when nothing is pending.
   */
  readonly reconcileFrom?: number;
}

/** Progress of a reconcile for {@link SweepMarkers.markReconciled}. */
export interface ReconcileProgress {
  readonly partition: number;
  /** The epoch the reconcile ran for: a marker re-created since is left alone. */
  readonly epoch: number;
  /** The next partition to visit; `partitions` (or more) means done. */
  readonly next: number;
}

/**
 * Per-partition markers the sweep keeps in the store, to tell an outage (no sweep reached the store
 * for a while: heartbeats could not be stored either) and data loss (the marker is gone) apart from
 * normal operation. Kept by the same backend as the {@link PresenceStore}.
 *
 * Contract (held by `describePresenceStore`):
 * - A partition is a slice of users (`partitionOf`) whose data is lost or kept together (a Redis
 *   hash tag). `partitions` is their number.
 * - `markSweep(now, gapMs)` reads and refreshes every partition's marker atomically per partition, in
 *   one round trip per node: creates missing markers (reporting `lost` when the store can lose data),
 *   records a gap when the previous sweep is more than `gapMs` before `now`, and sets the last sweep
 *   time to `now` (never backwards); a partition reached after the call's deadline is left alone.
 * - `markReconciled` moves a lost partition's reconcile forward (conditional on its epoch).
 * - `liveUsersIn(partition, seenSince)` lists the users of one partition with a connection last seen
 *   at or after `seenSince`, each once.
 * - Markers have a TTL (longer than any sweep interval), refreshed by every `markSweep`.
 */
export interface SweepMarkers {
  /** Number of partitions. */
  readonly partitions: number;
  /** The partition a user's data lives in. */
  partitionOf(userId: string): number;
  /**
   * Reads and refreshes every partition's marker; one entry per partition. With a `deadline` (as
   * {@link @presence/core!UpsertOptions.deadline | UpsertOptions.deadline}) a partition whose step
   * runs later is left unchanged and the call throws
   * {@link @presence/core!StoreUnavailableError | StoreUnavailableError}: a sweep that timed out during an outage must not refresh the
   * last sweep time when the store resumes, or the outage would go unnoticed.
   */
  markSweep(
    now: number,
    gapMs: number,
    options?: { readonly deadline?: number },
  ): Promise<PartitionMark[]>;
  /** Records reconcile progress of lost partitions. */
  markReconciled(progress: readonly ReconcileProgress[]): Promise<void>;
  /** Users of one partition with a connection seen at or after `seenSince`. */
  liveUsersIn(partition: number, seenSince: number): Promise<string[]>;
}

/** What {@link LastSeenSource.presenceWithLastSeenOf} reads. */
export interface PresenceWithLastSeen {
  /** As {@link PresenceStore.presenceOf}: each given online user's record. */
  readonly online: Map<string, OnlineRecord>;
  /** As {@link LastSeenSource.lastSeenOf}: each given offline user's last activity within the retention. */
  readonly lastSeen: Map<string, number>;
}

/**
 * Last activity of users who went offline, kept for a retention period (issue 14's "last seen").
 *
 * Contract (held by `describePresenceStore`): the step that takes a user offline (remove or sweep)
 * stores their {@link OutboxEntry.lastActivity} with the store's retention as TTL; coming back online
 * deletes it. `lastSeenOf(userIds)` returns it for each given user who is offline and went offline
 * within the retention; online, unknown and expired users are absent; a retention of 0 keeps nothing.
 * `presenceWithLastSeenOf` answers `presenceOf` and `lastSeenOf` of the same ids together, in one
 * round trip per node (what `GET /presence` reads). Reads accept unknown ids.
 */
export interface LastSeenSource {
  /** How long the last activity is kept after going offline (ms); `0`: last seen is off. */
  readonly lastSeenRetentionMs: number;
  /** Last activity (ms, callers' clock) of each given offline user still within the retention. */
  lastSeenOf(userIds: readonly string[]): Promise<Map<string, number>>;
  /** Presence of the online users and last seen of the offline ones, in one read. */
  presenceWithLastSeenOf(userIds: readonly string[]): Promise<PresenceWithLastSeen>;
}

/** A store with every port the service's fault handling uses (both adapters of this repository). */
export type DurablePresenceStore = PresenceStore & OfflineOutbox & SweepMarkers & LastSeenSource;

/** True when the object implements {@link OfflineOutbox}. */
export function isOfflineOutbox(value: unknown): value is OfflineOutbox {
  const v = value as Partial<OfflineOutbox> | null;
  return typeof v?.claimOutbox === 'function' && typeof v.ackOutbox === 'function';
}

/** True when the object implements {@link LastSeenSource}. */
export function isLastSeenSource(value: unknown): value is LastSeenSource {
  const v = value as Partial<LastSeenSource> | null;
  return (
    typeof v?.lastSeenOf === 'function' &&
    typeof v.presenceWithLastSeenOf === 'function' &&
    typeof v.lastSeenRetentionMs === 'number'
  );
}

/** True when the object implements {@link SweepMarkers}. */
export function isSweepMarkers(value: unknown): value is SweepMarkers {
  const v = value as Partial<SweepMarkers> | null;
  return (
    typeof v?.markSweep === 'function' &&
    typeof v.markReconciled === 'function' &&
    typeof v.liveUsersIn === 'function' &&
    typeof v.partitionOf === 'function' &&
    typeof v.partitions === 'number'
  );
}
