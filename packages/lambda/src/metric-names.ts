/**
 * The CloudWatch metrics the functions emit (Embedded Metric Format, namespace `METRICS_NAMESPACE`,
 * default `Presence`): the names the runtime writes and the construct's alarms and dashboard read.
 * Every metric is published with two dimension sets: `[service]` (alarms) and
 * `[service, operation]` (the dashboard), `operation` being the function's operation name.
 *
 * May import: nothing (pure data).
 * @module
 */
export const PRESENCE_METRICS = {
  /** Frames posted to a connection that API Gateway accepted. Count. */
  framesSent: 'FramesSent',
  /** Frames to a connection API Gateway no longer knows (410): the connection is removed. Count. */
  framesGone: 'FramesGone',
  /** Frames that failed for another reason (throttled, refused, gateway error). Count. */
  framesFailed: 'FramesFailed',
  /** Requests to `@connections` answered 429 after the retry (part of the failures). Count. */
  gatewayThrottles: 'GatewayThrottles',
  /** Requests to `@connections` that got no answer, timed out or got a 5xx after the retry. Count. */
  gatewayUnreachable: 'GatewayUnreachable',
  /** Stale sockets the sweep closed (`DeleteConnection`). Count. */
  socketsClosed: 'SocketsClosed',
  /** Stale sockets the sweep failed to close. Count. */
  socketCloseFailures: 'SocketCloseFailures',
  /** Connections the sweep removed. Count. */
  sweepExpired: 'SweepExpired',
  /** Users the sweep took offline. Count. */
  sweepOffline: 'SweepOffline',
  /** `presence-timeout` frames the sweep delivered. Count. */
  sweepAnnounced: 'SweepAnnounced',
  /** 1 when a sweep run stopped at its deadline with stale connections left (`done: false`), else 0. Count. */
  sweepIncomplete: 'SweepIncomplete',
  /**
   * Offline announcements that failed (friend graph, store or posts) and were left in the outbox for
   * the next sweep: the sweep's `deferred` (its own users and the outbox entries it retried), and 1
   * per `$disconnect` whose announcement was deferred. Count.
   */
  announcementsDeferred: 'AnnouncementsDeferred',
  /**
   * Outbox entries the sweep claimed and retried (the sweep's `drained`). With `AnnouncementsDeferred`
   * close to it, the retries are failing too; deferred with nothing drained, the outbox is growing. Count.
   */
  outboxDrained: 'OutboxDrained',
  /**
   * 1 when a sweep run held its cutoff (the sweep's `hold`: an outage or a data loss was detected
   * within the recovery hold), else 0. Count; read its Maximum.
   */
  sweepHold: 'SweepHold',
  /** Store partitions a sweep found lost (Redis lost their data: the sweep markers were missing). Count. */
  lostPartitions: 'LostPartitions',
  /** `presence-timeout` frames the data-loss reconcile sent (the sweep's `reconciled`). Count. */
  reconciledFrames: 'ReconciledFrames',
  /** 1 when a sweep run saw a mass timeout (the sweep's `massTimeout`), else 0. Count. */
  massTimeout: 'MassTimeout',
  /** Client frames the per-connection rate limit refused (answered with a `rate_limited` error frame). Count. */
  framesRateLimited: 'FramesRateLimited',
  /** Connections the per-user cap evicted and closed (connect, heartbeat, update-presence). Count. */
  connectionsEvicted: 'ConnectionsEvicted',
  /** Activity history appends that failed (`activityFailures` of every operation). Count. */
  activityFailures: 'ActivityFailures',
  /** Latency of one presence store (Redis) call, up to 99 samples per invocation. Milliseconds. */
  storeLatency: 'StoreLatency',
  /** Presence store calls that failed (outage, timeout, credentials). Count. */
  storeErrors: 'StoreErrors',
  /** Latency of one friend graph (PostgreSQL) call, up to 99 samples per invocation. Milliseconds. */
  graphLatency: 'GraphLatency',
  /** Friend graph calls that failed (connection refused, authentication, timeout). Count. */
  graphErrors: 'GraphErrors',
  /** A credentials secret re-read after an authentication failure (a rotation caught). Count. */
  credentialRefreshes: 'CredentialRefreshes',
  /** Tokens refused (401): missing, malformed, expired, foreign. Count. */
  tokensRefused: 'TokensRefused',
  /** Token checks that failed because the issuer's JWKS could not be fetched. Count. */
  identityErrors: 'IdentityErrors',
  /** Invocations answered 5xx or failed. Count. */
  serverErrors: 'ServerErrors',
} as const;

/** One metric name. */
export type PresenceMetricName = (typeof PRESENCE_METRICS)[keyof typeof PRESENCE_METRICS];

/** The CloudWatch namespace of the metrics unless `METRICS_NAMESPACE` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'Presence';
