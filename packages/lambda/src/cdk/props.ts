import type {
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_events as events,
  aws_logs as logs,
} from 'aws-cdk-lib';
import type { PresenceFunctionName } from '../manifest.js';
import type { PresenceActivityHistoryOptions } from './activity.js';
import type { PresenceDatabase } from './database.js';
import type { PresenceDomain, PresenceFrontDoor } from './front-door.js';
import type { PresenceFunctionOverrides } from './functions.js';
import type { PresenceIdentity } from './identity.js';
import type { PresenceRedis } from './redis.js';

/** Log level of the handlers' structured JSON logs (`LOG_LEVEL`). */
export type PresenceLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * How the functions call the `@connections` API (`GATEWAY_TRANSPORT`): `'sdk'`, the AWS SDK client;
 * `'signed-http'`, the same requests signed with `@smithy/signature-v4` on node:http(s), for about
 * half the CPU per post.
 */
export type PresenceGatewayTransport = 'sdk' | 'signed-http';

/** Properties of a `PresenceApi`. */
export interface PresenceApiProps {
  // --- Networking ---
  /**
   * VPC the functions (and a created Redis) run in. The functions call the `@connections` API and
   * fetch the issuer's JWKS over the internet: the subnets need a NAT route (an execute-api VPC
   * endpoint cannot reach public APIs; see `secretsManagerEndpoint` for the one that helps).
   */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the functions and of a created Redis.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the functions.
   * @default - one security group created, all outbound traffic allowed
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Create an interface VPC endpoint for Secrets Manager (private DNS) in the functions' subnets,
   * so that reading the Redis and database secrets does not go through NAT.
   * @default false
   */
  readonly secretsManagerEndpoint?: boolean;

  // --- Identity ---
  /** Who issues the tokens: `PresenceIdentity.cognito(pool, clients)` or `PresenceIdentity.oidc({...})`. */
  readonly identity: PresenceIdentity;
  /**
   * Origins allowed to call the REST routes from a browser (`CORS_ALLOWED_ORIGINS` and the
   * preflight), e.g. the web client, `chrome-extension://<id>`, `http://localhost:4200`. An empty
   * list disables CORS; `['*']` allows any.
   */
  readonly allowedOrigins: string[];

  // --- APIs ---
  /**
   * The API serving the two REST routes: `PresenceFrontDoor.httpApi()` (an HTTP API, the cheaper)
   * or `PresenceFrontDoor.restApi({ webAclArn })` (a REST API: WAF, Lambda or Cognito authorizer).
   * @default PresenceFrontDoor.httpApi()
   */
  readonly frontDoor?: PresenceFrontDoor;
  /**
   * Stage name of both APIs (the first path segment of their execute-api URLs).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state request (REST) and message (WebSocket) rate limit of each stage, per second:
   * size it at about connections ÷ 60 heartbeats plus the page updates.
   * @default 1000
   */
  readonly throttlingRateLimitPerSecond?: number;
  /**
   * Burst limit of each stage, in requests.
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * A custom domain for the WebSocket API (`wss://<domain>`), with its regional certificate.
   * @default - the execute-api URL
   */
  readonly webSocketDomain?: PresenceDomain;
  /**
   * A custom domain for the REST routes (`https://<domain>/presence`), with its regional certificate.
   * @default - the execute-api URL
   */
  readonly restDomain?: PresenceDomain;
  /**
   * Create the account-wide role API Gateway needs to write REST access logs
   * (`AWS::ApiGateway::Account`, REST API only). One per account and region: one stack owns it.
   * @default false
   */
  readonly cloudWatchRole?: boolean;

  // --- Presence ---
  /**
   * Seconds without a heartbeat or update after which a user is offline (`PRESENCE_TIMEOUT_SECONDS`).
   * @default 180
   */
  readonly presenceTimeoutSeconds?: number;
  /**
   * Interval of the timeout sweep, in seconds: a whole number of minutes, below the timeout.
   * @default 60
   */
  readonly sweepIntervalSeconds?: number;
  /**
   * Connections removed per sweep batch (`PRESENCE_SWEEP_BATCH_SIZE`).
   * @default 500
   */
  readonly sweepBatchSize?: number;
  /**
   * Users a sweep takes offline before it announces them and goes on (`PRESENCE_SWEEP_ANNOUNCE_AFTER`).
   * @default 100000
   */
  readonly sweepAnnounceAfter?: number;
  /**
   * Most connections one user holds (`PRESENCE_MAX_CONNECTIONS_PER_USER`); a new one beyond it
   * closes the user's least recently seen connection.
   * @default 20
   */
  readonly maxConnectionsPerUser?: number;
  /**
   * Heartbeat and update-presence frames each connection may send (`PRESENCE_FRAME_RATE_PER_SECOND`,
   * `PRESENCE_FRAME_RATE_BURST`): a token bucket kept in Redis; an excess frame changes nothing and
   * is answered with a `rate_limited` error frame. `burst` defaults to 10 or one second's worth.
   * @default - no limit (stage throttling still bounds the whole API)
   */
  readonly frameRateLimit?: { readonly perSecond: number; readonly burst?: number };
  /**
   * An update whose frame every recipient already holds is not sent, but a frame is sent again at
   * least this often per user (`PRESENCE_FRAME_REFRESH_SECONDS`); `0` sends every update.
   * @default 600
   */
  readonly frameRefreshSeconds?: number;
  /**
   * Days the last activity of a user who went offline is kept for `lastSeenAt`
   * (`PRESENCE_LAST_SEEN_DAYS`); `0` turns last seen off.
   * @default 30
   */
  readonly lastSeenDays?: number;
  /**
   * `lastSeenAt` is rounded down to a multiple of this many seconds, so that exact activity cannot
   * be inferred (`PRESENCE_LAST_SEEN_GRANULARITY_SECONDS`).
   * @default 300
   */
  readonly lastSeenGranularitySeconds?: number;
  /**
   * How the functions send frames (`GATEWAY_TRANSPORT`); `'signed-http'` is opt-in.
   * @default 'sdk'
   */
  readonly gatewayTransport?: PresenceGatewayTransport;

  // --- Functions ---
  /**
   * Memory of each function, in MB.
   * @default 512
   */
  readonly memorySizeMb?: number;
  /**
   * Timeout of each request function, in seconds (API Gateway gives up after 29).
   * @default 10
   */
  readonly functionTimeoutSeconds?: number;
  /**
   * Timeout of the `timeout` (sweep) function, in seconds.
   * @default 60
   */
  readonly sweepFunctionTimeoutSeconds?: number;
  /**
   * Memory, timeout and reserved concurrency of single functions.
   * @default - the values above; reserved concurrency 1 for `timeout`, none for the others
   */
  readonly functionOverrides?: Partial<Record<PresenceFunctionName, PresenceFunctionOverrides>>;
  /**
   * Directory holding one `<name>/index.mjs` bundle per function.
   * @default - the bundles built into this package's `dist/functions`
   */
  readonly functionsCodeDirectory?: string;

  // --- Observability ---
  /**
   * Level of the handlers' logs (`LOG_LEVEL`).
   * @default 'info'
   */
  readonly logLevel?: PresenceLogLevel;
  /**
   * Share of invocations (0 to 1) logged at debug whatever `logLevel` says (`LOG_SAMPLE_RATE`).
   * Debug lines may hold URLs and titles.
   * @default 0
   */
  readonly logSampleRate?: number;
  /**
   * Retention of the functions' and stages' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * X-Ray: active tracing on the functions (the Powertools Tracer adds one subsegment per store,
   * graph, gateway and identity call) and on the REST API stage.
   * @default false
   */
  readonly tracingEnabled?: boolean;
  /**
   * CloudWatch namespace of the functions' metrics (`METRICS_NAMESPACE`).
   * @default 'Presence'
   */
  readonly metricsNamespace?: string;
  /**
   * The alarms and the dashboard. Turn them off to build your own from `PRESENCE_METRICS`.
   * @default true
   */
  readonly monitoring?: boolean;
  /**
   * Actions of every alarm, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   * @default - none: the alarms show on the dashboard only
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  // --- Backends ---
  /**
   * The presence store: `PresenceRedis.elastiCache({...})`, `.serverless({...})` or `.existing({...})`.
   * @default PresenceRedis.elastiCache()
   */
  readonly redis?: PresenceRedis;
  /**
   * Prefix of every Redis key (`REDIS_KEY_PREFIX`), to share one Redis between deployments.
   * @default 'presence'
   */
  readonly redisKeyPrefix?: string;
  /** The user service's PostgreSQL: `PresenceDatabase.direct({...})` or `.proxy(proxy, {...})`. */
  readonly database: PresenceDatabase;

  // --- Friend graph changes ---
  /**
   * Seconds a user's accepted friends and sharing settings are served from the presence Redis
   * instead of PostgreSQL (`PRESENCE_FRIEND_CACHE_SECONDS`, 0–3600), by update-presence,
   * disconnect, the sweep and `GET /presence/{userId}`. Without a graph-change event an unfriended
   * user may keep receiving frames, and a sharing change may apply, this much later; with
   * `graphChanges`, at once.
   * @default 0 (off: every read goes to PostgreSQL)
   */
  readonly friendCacheSeconds?: number;
  /**
   * Where the user service announces friend-graph changes: an EventBridge rule on `eventBus`
   * routes its `FriendshipChanged` (`{ userA, userB }`) and `SharingSettingsChanged`
   * (`{ userId }`) events to the `graph-changed` function, which forgets the friend cache's entries
   * and tells the connections concerned.
   * @default - no rule: the `graph-changed` function is deployed but nothing invokes it
   */
  readonly graphChanges?: PresenceGraphChanges;

  // --- Activity history ---
  /**
   * Issue 14's activity history: a DynamoDB table (on-demand, TTL, point-in-time recovery,
   * encrypted) where `connect`, `heartbeat`, `update-presence`, `disconnect`, `timeout` and
   * `graph-changed` record the user's shared pages and online/offline transitions, read with
   * `GET /activity` and erased with `DELETE /activity` by the user only. `true` takes the defaults.
   * @default - none: nothing is recorded and `/activity` answers 404
   */
  readonly activityHistory?: boolean | PresenceActivityHistoryOptions;
}

/** The EventBridge bus the user service puts its friend-graph changes on. */
export interface PresenceGraphChanges {
  /** The bus (in this stack's account and region) the user service puts its events on. */
  readonly eventBus: events.IEventBus;
  /**
   * The `source` of the user service's events: the rule matches only these.
   * @default - any source on the bus (only the two detail-types are matched)
   */
  readonly source?: string;
}
