import type { ActivityLog } from './activity-log.js';
import { ConfigError } from './errors.js';
import type { PresenceLimits } from './limits.js';
import type {
  Clock,
  ConnectionNotifier,
  FriendGraph,
  LastSeenSource,
  Logger,
  OfflineOutbox,
  PresenceStore,
  RateLimit,
  SweepMarkers,
} from './ports.js';

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
  /**
   * Where the last activity of offline users is read for `lastSeenAt` (`GET /presence` reads the
   * presence and the last seen together through it). Without one, `lastSeenAt` is always `null`.
   * @default `store`, when it implements LastSeenSource (MemoryPresenceStore and RedisPresenceStore do)
   */
  readonly lastSeen?: LastSeenSource;
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
  /**
   * The users' activity history (`@presence/dynamodb`, `MemoryActivityLog`). With it, the service
   * appends each shared page of an update that is sent (not the skipped repeats), `online` when a
   * write brings a user online and `offline` (at their last activity) with every announced offline
   * transition, and serves {@link PresenceService.listActivity} / `eraseActivity`. Appends run
   * beside the posts, off the fan-out's path: a failed append is a `warn` line and a count in the
   * operation's result (`activityFailures`), never an error. @default none: no history is kept
   */
  readonly activityLog?: ActivityLog;
  /**
   * `lastSeenAt` (in `GET /presence` and `presence-timeout`) is the last activity rounded DOWN to a
   * multiple of this, so that exact activity cannot be inferred. How long it is kept is the store's
   * `lastSeenRetentionMs` (0 turns last seen off: `lastSeenAt` is then always `null`).
   * @default 300_000 (5 minutes)
   */
  readonly lastSeenGranularityMs?: number;
  /**
   * Most friends `GET /presence` answers for: a caller with more gets a {@link TooManyFriendsError}
   * (413) instead of a body that Lambda (6 MB response cap) would turn into a bare 502. Up to
   * {@link SIZE_CHECK_FRIENDS} friends the body cannot exceed `maxResponseBytes` whatever the pages
   * (the arithmetic is on that constant); above it the body is measured before it is returned.
   * Measured: 5,000 friends online on typical pages make 2.7 MB; 20,000 make 11 MB.
   * @default {@link DEFAULT_MAX_FRIENDS} (5,000)
   */
  readonly maxFriends?: number;
  /**
   * Largest `GET /presence` body, in bytes once escaped as a string inside the Lambda proxy
   * response (what the 6 MB cap counts): a larger one is refused with a {@link TooManyFriendsError}
   * (413). Checked only for callers with more than {@link SIZE_CHECK_FRIENDS} friends.
   * @default 6_000_000
   */
  readonly maxResponseBytes?: number;
  /**
   * An update whose frame every recipient already holds is not sent (DESIGN.md invariant 8), but a
   * frame is sent again at least this often per user (ms, counted in fixed windows offset per
   * user): the bound on how long a friend can stay behind after a fault the skip rule cannot see
   * (a post that failed, a crash between the store write and the posts). `0` turns the skip rule
   * off: every update is sent. @default 600_000 (10 minutes)
   */
  readonly frameRefreshMs?: number;
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
  readonly lastSeenGranularityMs: number;
  readonly maxFriends: number;
  readonly maxResponseBytes: number;
  readonly frameRefreshMs: number;
}

/**
 * Friends up to which `GET /presence` cannot exceed the default `maxResponseBytes`, whatever the
 * pages, so its size is not measured. The largest JSON one friend adds under `DEFAULT_LIMITS` (user
 * id 128, URL 2,048, title 512 characters; a domain is at most 253), online on a page of maximal
 * size, ASCII text (a shared page is the latest page too, so it is written twice, as `page` and
 * `latestPage`):
 * - its `presenceArr` entry: 10 (`{"userId":`) + 130 (the id, quoted) + 8 (`,"page":`) + 2,846 (the
 *   page: 7 + 2,050 url + 9 + 514 title + 10 + 255 domain + 1) + 14 (`,"latestPage":`) + 2,846 + 2
 *   = 5,856 bytes;
 * - its `userInfoMap` entry, with names of up to 64 characters and an extension of up to 8: 131 +
 *   11 + 130 + 14 + 66 + 13 + 66 + 27 + 10 + 2 = 470 bytes;
 * - together 6,326 bytes; 700 friends and the caller make at most 4,434,526 bytes (4.4 MB), leaving
 *   1.6 MB under 6 MB for escaping (a `"` in a title doubles) and longer names.
 * Measured (`test/service-limits.test.ts`): 700 friends on such pages, 4,071,528 bytes.
 */
export const SIZE_CHECK_FRIENDS = 700;

/**
 * Default {@link PresenceServiceOptions.maxFriends}: the friend limit of the large social networks.
 * On typical pages (a 115-byte URL, a 35-byte title) 5,000 online friends make 2,731,878 bytes.
 */
export const DEFAULT_MAX_FRIENDS = 5_000;

/** Default {@link PresenceServiceOptions.maxResponseBytes}: under Lambda's 6 MB (6,291,456 B) with room for the envelope. */
export const DEFAULT_MAX_RESPONSE_BYTES = 6_000_000;

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
    lastSeenGranularityMs: positiveInteger(
      options.lastSeenGranularityMs ?? 300_000,
      'lastSeenGranularityMs',
    ),
    maxFriends: positiveInteger(options.maxFriends ?? DEFAULT_MAX_FRIENDS, 'maxFriends'),
    maxResponseBytes: positiveInteger(
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      'maxResponseBytes',
    ),
    frameRefreshMs: nonNegativeInteger(options.frameRefreshMs ?? 600_000, 'frameRefreshMs'),
  };
}

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
