import type { ErrorFrame, UpdatePresenceServerFrame } from './schemas.js';

/** What {@link PresenceService.connect} did. */
export interface ConnectResult {
  /** True when this connection brought the user online (they had none). */
  readonly cameOnline: boolean;
  /** Activity appends that failed (logged at `warn`); runtimes count them as a metric. */
  readonly activityFailures: number;
  /**
   * Connections of the user the cap (`maxConnectionsPerUser`) evicted and closed; absent when none.
   * Runtimes count them as a metric.
   */
  readonly evicted?: number;
}

/** What {@link PresenceService.heartbeat} did. */
export interface HeartbeatResult {
  /** False when the store did not know the connection and registered it again. */
  readonly wasRegistered: boolean;
  /** True when the heartbeat brought the user back online (the store had lost them). */
  readonly cameOnline: boolean;
  /** Activity appends that failed (logged at `warn`). */
  readonly activityFailures: number;
  /**
   * Connections of the user the cap (`maxConnectionsPerUser`) evicted and closed; absent when none.
   * Runtimes count them as a metric.
   */
  readonly evicted?: number;
}

/** What {@link PresenceService.updatePresence} did. */
export interface UpdatePresenceResult {
  /** The frame for the user's connections and online friends (sent unless `unchanged`). */
  readonly frame: UpdatePresenceServerFrame;
  /** Whether the page was stored as shared (false: hidden by the client or by the sharing rule). */
  readonly shared: boolean;
  /**
   * True when every recipient already held this exact frame: only liveness and the page were
   * written, nothing was sent (no connection read, no post). See the skip rule in the README.
   */
  readonly unchanged: boolean;
  /** Connections the frame went to, the user's own included (0 when `unchanged`). */
  readonly recipients: number;
  /** Connections found gone and removed on the way. */
  readonly gone: number;
  /** Activity appends that failed (logged at `warn`); runtimes count them as a metric. */
  readonly activityFailures: number;
  /**
   * Connections of the user the cap (`maxConnectionsPerUser`) evicted and closed; absent when none.
   * Runtimes count them as a metric.
   */
  readonly evicted?: number;
}

/** What {@link PresenceService.disconnect} did. */
export interface DisconnectResult {
  /** The connection's user, `undefined` when the connection was unknown (already removed). */
  readonly userId: string | undefined;
  /** True when it was the user's last connection. */
  readonly userOffline: boolean;
  /** `presence-timeout` frames sent. */
  readonly notified: number;
  /**
   * True when the announcement could not be completed (friend graph or store down, posts failed):
   * it stays in the outbox and the next sweep makes it. The disconnect itself succeeded.
   */
  readonly deferred: boolean;
  /** Activity appends (`offline`) that failed (logged at `warn`). */
  readonly activityFailures: number;
}

/** Options of one {@link PresenceService.sweep} run. */
export interface SweepOptions {
  /**
   * Stop removing at this clock time (ms); the users already removed are still announced and their
   * sockets closed, so leave time for that. The next run goes on. @default no deadline
   */
  readonly deadline?: number;
}

/** What one {@link PresenceService.sweep} run did. */
export interface SweepReport {
  /** Connections silent since before `cutoff` were removed (held back after an outage). */
  readonly cutoff: number;
  /** Connections removed. */
  readonly expired: number;
  /** Users who went offline. */
  readonly offline: number;
  /** `presence-timeout` frames sent (outbox, this run's users and the reconcile). */
  readonly notified: number;
  /** Stale sockets closed through the notifier. */
  readonly closed: number;
  /** Store sweep batches run. */
  readonly batches: number;
  /** False when the deadline stopped the run with stale connections or outbox entries left. */
  readonly done: boolean;
  /** Offline users whose announcement completed and was acknowledged in the outbox. */
  readonly announced: number;
  /** Offline users whose announcement failed (graph, store or posts): left in the outbox for the next run. */
  readonly deferred: number;
  /** Outbox entries of earlier runs or operations claimed and announced first. */
  readonly drained: number;
  /** Set while an outage or data loss holds the cutoff: the hold ends at `until` (ms). */
  readonly hold?: { readonly until: number };
  /** Partitions found lost (their store data gone) by this run. */
  readonly lostPartitions: number;
  /** `presence-timeout` frames the data-loss reconcile sent (included in `notified`). */
  readonly reconciled: number;
  /** Share of all connections stale at the cutoff when the run started, if the store counts them. */
  readonly staleShare?: number;
  /** True when `staleShare` reached `massTimeoutShare` (with at least 100 stale connections). */
  readonly massTimeout: boolean;
  /** Activity appends (`offline` of the users announced) that failed (logged at `warn`). */
  readonly activityFailures: number;
}

/** What {@link PresenceService.handleFrame} did with a client frame. */
export type FrameOutcome =
  | { readonly action: 'heartbeat'; readonly result: HeartbeatResult }
  | { readonly action: 'update-presence'; readonly result: UpdatePresenceResult }
  | { readonly action: 'rejected'; readonly reply: ErrorFrame };
