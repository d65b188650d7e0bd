import { ConfigError } from './errors.js';
import type { PresenceLimits } from './limits.js';
import type {
  Clock,
  ConnectionNotifier,
  FriendGraph,
  Logger,
  OfflineOutbox,
  PresenceStore,
  RateLimit,
  SweepMarkers,
} from './ports.js';
import type { ErrorFrame, UpdatePresenceServerFrame } from './schemas.js';

/** Options of {@link createPresenceService}. */
export interface PresenceServiceOptions {
  /** Where connections, liveness and pages live. */
  readonly store: PresenceStore;
  /** Friends, profiles and sharing settings. */
  readonly graph: FriendGraph;
  /** Delivers frames to WebSocket connections and closes stale ones. */
  readonly notifier: ConnectionNotifier;
  /**
   * The outbox the store's removals record offline transitions in (DESIGN.md invariant 7): a
   * `presence-timeout` whose sending failed (friend graph down, gateway errors, a crash) is retried
   * by the next sweep, and a `$disconnect` whose announcement failed still succeeds. Without one, an
   * announcement is tried once, inline, and its failure is an error.
   * @default `store`, when it implements OfflineOutbox (MemoryPresenceStore and RedisPresenceStore do)
   */
  readonly outbox?: OfflineOutbox;
  /**
   * The store's per-partition sweep markers: detect an outage (hold the sweep's cutoff) and data loss
   * (reconcile friends' views). Without them the sweep does neither.
   * @default `store`, when it implements SweepMarkers (MemoryPresenceStore and RedisPresenceStore do)
   */
  readonly markers?: SweepMarkers;
  /** Time source. @default the system clock */
  readonly clock?: Clock;
  /** A connection silent for longer than this is swept. @default 180_000 (PROTOCOL.md) */
  readonly timeoutMs?: number;
  /**
   * How often clients send a heartbeat. A gap of more than `timeoutMs - heartbeatIntervalMs` between
   * two sweeps that reached the store means heartbeats may not have been stored either (an outage):
   * the sweep then holds its cutoff (see `recoveryHoldMs`). Must be below `timeoutMs`.
   * @default 60_000 (PROTOCOL.md), or `timeoutMs / 3` when that is smaller
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * After an outage or data loss is detected, the sweep removes only connections that were already
   * stale before it, for this long, so that live clients can heartbeat first (no stampede of
   * reconnects). @default `heartbeatIntervalMs`
   */
  readonly recoveryHoldMs?: number;
  /**
   * After data loss is detected, wait this long (so live clients re-register by heartbeat), then tell
   * each live user's connections `presence-timeout` for every friend of a lost partition who is not
   * online. @default `timeoutMs`
   */
  readonly reconcileAfterMs?: number;
  /**
   * Share of all connections that, when stale at once in a sweep (and at least 100), is reported as
   * a mass timeout: `massTimeout` in the report and a warn line. @default 0.25
   */
  readonly massTimeoutShare?: number;
  /** Connections removed per store sweep call (and users announced per friend-graph query). @default 500 */
  readonly sweepBatchSize?: number;
  /**
   * Users a sweep takes offline before it stops removing and announces them (then goes on). Larger
   * rounds skip more friend reads in a mass timeout (friends taken offline in the run are not read);
   * a crash mid-round leaves their announcements to the outbox (retried by the next sweep).
   * @default 100_000
   */
  readonly sweepAnnounceAfter?: number;
  /**
   * Most connections one user may hold. A connection beyond it closes the user's least recently
   * seen one, as browsers drop old tabs: the newest socket is the one the user is looking at, while
   * refusing it would lock the user out behind sockets that may be dead (clients in the field
   * reconnect in a loop on a refusal). The store enforces it atomically; the service closes the
   * evicted sockets. @default 20
   */
  readonly maxConnectionsPerUser?: number;
  /**
   * Per-connection frame rate limit (heartbeat and update-presence), a token bucket kept by the
   * store and consumed in the same step as the write. An excess frame changes nothing and is
   * answered with a `rate_limited` error frame ({@link RateLimitedError}, 429). @default off
   */
  readonly frameRateLimit?: RateLimit;
  /**
   * Longest a store call may take. Connect and update (and the sweep's marker refresh) carry a
   * deadline of `now + storeTimeoutMs` that the store enforces atomically against its own clock,
   * and every call is given up (503) `storeClockSkewMs` later: a connect or update the caller gave
   * up on never lands afterwards. A heartbeat carries none (a late one is harmless, and it is the
   * hot path). Set it when your runtime bounds invocations (Lambda).
   * @default no bound: calls wait for the store
   */
  readonly storeTimeoutMs?: number;
  /** Clock skew tolerated between this process and the store (added to `storeTimeoutMs` before giving up). @default 250 */
  readonly storeClockSkewMs?: number;
  /** Input limits. @default {@link DEFAULT_LIMITS} */
  readonly limits?: Partial<PresenceLimits>;
  /** Structured logger; nothing personal is logged at info. @default no logging */
  readonly logger?: Logger;
}

/** The numeric settings of a service, checked and defaulted. */
export interface ServiceSettings {
  readonly timeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly recoveryHoldMs: number;
  readonly reconcileAfterMs: number;
  readonly massTimeoutShare: number;
  readonly batchSize: number;
  readonly announceAfter: number;
  readonly maxConnections: number;
  readonly rateLimit: RateLimit | undefined;
  readonly storeTimeoutMs: number | undefined;
  readonly storeClockSkewMs: number;
}

/** Checks and defaults the numeric options. @throws ConfigError naming the bad option */
export function resolveSettings(options: PresenceServiceOptions): ServiceSettings {
  const timeoutMs = positiveInteger(options.timeoutMs ?? 180_000, 'timeoutMs');
  const heartbeatIntervalMs = positiveInteger(
    options.heartbeatIntervalMs ?? Math.min(60_000, Math.floor(timeoutMs / 3) || 1),
    'heartbeatIntervalMs',
  );
  if (heartbeatIntervalMs >= timeoutMs) {
    throw new ConfigError(
      `heartbeatIntervalMs (${heartbeatIntervalMs}) must be below timeoutMs (${timeoutMs})`,
    );
  }
  const share = options.massTimeoutShare ?? 0.25;
  if (!(share > 0 && share <= 1)) {
    throw new ConfigError(`massTimeoutShare must be in (0, 1], got ${share}`);
  }
  const rate = options.frameRateLimit;
  if (
    rate !== undefined &&
    !(
      Number.isFinite(rate?.perSecond) &&
      rate.perSecond > 0 &&
      Number.isFinite(rate.burst) &&
      rate.burst >= 1
    )
  ) {
    throw new ConfigError('frameRateLimit needs perSecond > 0 and burst >= 1');
  }
  return {
    timeoutMs,
    heartbeatIntervalMs,
    recoveryHoldMs: nonNegativeInteger(
      options.recoveryHoldMs ?? heartbeatIntervalMs,
      'recoveryHoldMs',
    ),
    reconcileAfterMs: nonNegativeInteger(options.reconcileAfterMs ?? timeoutMs, 'reconcileAfterMs'),
    massTimeoutShare: share,
    batchSize: positiveInteger(options.sweepBatchSize ?? 500, 'sweepBatchSize'),
    announceAfter: positiveInteger(options.sweepAnnounceAfter ?? 100_000, 'sweepAnnounceAfter'),
    maxConnections: positiveInteger(options.maxConnectionsPerUser ?? 20, 'maxConnectionsPerUser'),
    rateLimit: rate === undefined ? undefined : { perSecond: rate.perSecond, burst: rate.burst },
    storeTimeoutMs:
      options.storeTimeoutMs === undefined
        ? undefined
        : positiveInteger(options.storeTimeoutMs, 'storeTimeoutMs'),
    storeClockSkewMs: nonNegativeInteger(options.storeClockSkewMs ?? 250, 'storeClockSkewMs'),
  };
}

/** What {@link PresenceService.updatePresence} did. */
export interface UpdatePresenceResult {
  /** The frame sent to the user's connections and online friends. */
  readonly frame: UpdatePresenceServerFrame;
  /** Whether the page was stored as shared (false: hidden by the client or by the sharing rule). */
  readonly shared: boolean;
  /** Connections the frame went to, the user's own included. */
  readonly recipients: number;
  /** Connections found gone and removed on the way. */
  readonly gone: number;
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
}

/** What {@link PresenceService.handleFrame} did with a client frame. */
export type FrameOutcome =
  | { readonly action: 'heartbeat' }
  | { readonly action: 'update-presence'; readonly result: UpdatePresenceResult }
  | { readonly action: 'rejected'; readonly reply: ErrorFrame };

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}
