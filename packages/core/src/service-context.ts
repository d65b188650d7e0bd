import type { ActivityRecorder } from './activity.js';
import type {
  Clock,
  ConnectionNotifier,
  FriendGraph,
  LastSeenSource,
  Logger,
  OfflineOutbox,
  OutboxEntry,
  PresenceStore,
  SweepMarkers,
} from './ports.js';
import type { ServiceSettings } from './service-options.js';
import type { StoreCalls } from './store-calls.js';

/** What the service's modules (operations, announcer, sweep, reconcile) share. */
export interface ServiceContext {
  readonly store: PresenceStore;
  /** Every store call goes through it: bounded in time when `storeTimeoutMs` is set. */
  readonly calls: StoreCalls;
  readonly graph: FriendGraph;
  readonly notifier: ConnectionNotifier;
  readonly clock: Clock;
  readonly log: Logger;
  /** Absent: announcements are made once, inline, and a failure is thrown. */
  readonly outbox: OfflineOutbox | undefined;
  /** Absent: no outage hold and no data-loss reconcile. */
  readonly markers: SweepMarkers | undefined;
  /** Absent: `lastSeenAt` is always `null`. */
  readonly lastSeen: LastSeenSource | undefined;
  /** Appends to the activity log, if any, without ever failing the operation. */
  readonly activity: ActivityRecorder;
  readonly settings: ServiceSettings;
}

/** A user who went offline, with the outbox entry to acknowledge once told (none without an outbox). */
export interface GoingOffline {
  readonly userId: string;
  readonly entry?: OutboxEntry;
}

/** What an announcement run did. */
export interface AnnounceOutcome {
  /** `presence-timeout` frames delivered. */
  sent: number;
  /** Users whose announcement completed (acknowledged in the outbox when there is one). */
  announced: number;
  /** Users whose announcement failed and stays in the outbox. */
  deferred: number;
  /** `offline` activity appends that failed. */
  activityFailures: number;
}

/** A fresh {@link AnnounceOutcome} of zeros. */
export function noAnnouncement(): AnnounceOutcome {
  return { sent: 0, announced: 0, deferred: 0, activityFailures: 0 };
}

/** Adds `b` into `a`. */
export function addOutcome(a: AnnounceOutcome, b: AnnounceOutcome): void {
  a.sent += b.sent;
  a.announced += b.announced;
  a.deferred += b.deferred;
  a.activityFailures += b.activityFailures;
}

/** Ids without duplicates and without `self`. */
export function without(ids: readonly string[], self: string): string[] {
  return [...new Set(ids)].filter((id) => id !== self);
}
