import type {
  aws_cognito as cognito,
  aws_ec2 as ec2,
  aws_logs as logs,
  aws_rds as rds,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';

/** Log level of the handlers' structured JSON logs (`LOG_LEVEL`). */
export type PresenceLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Who verifies the REST API's callers: the functions themselves, the Lambda authorizer, or an API Gateway Cognito authorizer. */
export type PresenceRestAuthorization = 'handler' | 'lambda' | 'cognito';

/**
 * How the functions call the `@connections` API (`GATEWAY_TRANSPORT`): `'sdk'`, the AWS SDK client;
 * `'signed-http'`, the same requests signed with `@smithy/signature-v4` on node:http(s), for about
 * half the CPU per post.
 */
export type PresenceGatewayTransport = 'sdk' | 'signed-http';

/** An existing Redis (or Valkey) the functions use instead of the ElastiCache cluster the construct would create. */
export interface PresenceRedisConnection {
  /** Host name of the primary endpoint, or of the configuration endpoint when `cluster` is true. */
  readonly endpoint: string;
  /**
   * TCP port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * Whether to connect with TLS (`rediss://`).
   * @default true
   */
  readonly tls?: boolean;
  /**
   * Secret holding the AUTH token as its plain string value; the functions read it at cold start.
   * @default - no AUTH
   */
  readonly authToken?: secretsmanager.ISecret;
  /**
   * Whether the endpoint is a Redis Cluster configuration endpoint.
   * @default false
   */
  readonly cluster?: boolean;
  /**
   * Security group of the Redis nodes; the construct allows the functions in on `port`.
   * @default - no rule added: the network path is the caller's business
   */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** The user service's PostgreSQL that holds the friend graph and profiles (read only). */
export interface PresenceDatabaseConnection {
  /**
   * Host name of the database.
   * @default - the proxy's endpoint; required when `proxy` is not given
   */
  readonly host?: string;
  /**
   * TCP port.
   * @default 5432
   */
  readonly port?: number;
  /** Database name. */
  readonly databaseName: string;
  /**
   * RDS-style credentials secret (JSON with `username` and `password`); the functions read it at
   * cold start, so no password ever sits in an environment variable.
   * @default - none; required when `proxy` is not given
   */
  readonly credentials?: secretsmanager.ISecret;
  /**
   * RDS Proxy to connect through with IAM authentication: the functions get `rds-db:connect`
   * for `username` (`proxy.grantConnect`) and sign a token instead of reading a password.
   * The proxy must have IAM authentication required.
   * @default - direct connection with the `credentials` secret
   */
  readonly proxy?: rds.IDatabaseProxy;
  /**
   * Database user name (`DB_USER`).
   * @default - the `username` field of `credentials`; required when `proxy` is given
   */
  readonly username?: string;
  /**
   * TLS mode. `verify-full` checks the server certificate against the Amazon RDS CAs, which the
   * construct loads through `NODE_EXTRA_CA_CERTS`.
   * @default 'verify-full'
   */
  readonly ssl?: 'require' | 'verify-full';
  /**
   * Security group of the database (or proxy); the construct allows the functions in on `port`.
   * @default - no rule added: the network path is the caller's business
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * Schema holding `friendship_table` and `user_table` (`DB_SCHEMA`).
   * @default - the connection's search_path (usually `public`)
   */
  readonly schema?: string;
  /**
   * Named prepared statements, planned once per connection (`DB_PREPARED_STATEMENTS`): about
   * 1.6-1.9x the SQL throughput measured in `pnpm bench`. Direct connections only: with `proxy` it
   * is refused, because a prepared statement pins the RDS Proxy session.
   * @default false
   */
  readonly preparedStatements?: boolean;
}

/** Properties of a `PresenceApi`. */
export interface PresenceApiProps {
  // --- Networking ---
  /** VPC the functions (and a created Redis) run in. Its subnets need a route to the internet (NAT) or VPC endpoints, for the JWKS and the `@connections` API. */
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

  // --- Identity ---
  /**
   * Cognito user pool whose ID tokens the authorizer accepts (`AUTH_COGNITO_USER_POOL_ID`).
   * @default - none; `authIssuerUrl` is then required
   */
  readonly userPool?: cognito.IUserPool;
  /**
   * App clients of `userPool` whose tokens are accepted: the token's `aud` must be one of them
   * (`AUTH_COGNITO_CLIENT_ID`).
   * @default - any app client of the pool
   */
  readonly userPoolClients?: cognito.IUserPoolClient[];
  /**
   * Issuer of a generic OIDC identity provider (`AUTH_ISSUER`), instead of `userPool`.
   * @default - none; `userPool` is then required
   */
  readonly authIssuerUrl?: string;
  /**
   * JWKS URL of the generic issuer (`AUTH_JWKS_URL`); required with `authIssuerUrl`.
   * @default - none (only used with `authIssuerUrl`)
   */
  readonly authJwksUrl?: string;
  /**
   * Accepted `aud` values of the generic issuer's tokens (`AUTH_AUDIENCE`).
   * @default - the audience is not checked
   */
  readonly authAudience?: string[];
  /**
   * Claim that holds the user id (`AUTH_USER_ID_CLAIM`).
   * @default - the handlers' default: `cognito:username` with `userPool`, `sub` with `authIssuerUrl`
   */
  readonly userIdClaim?: string;
  /**
   * Who verifies REST callers' tokens. `'handler'`: no API Gateway authorizer; the functions
   * verify `Authorization` themselves, raw or `Bearer`, as PROTOCOL.md requires (one invocation
   * per request). `'lambda'`: the `authorizer` function as an uncached REQUEST authorizer on the
   * `Authorization` header, same verification, refused at the gateway (two invocations per
   * request). `'cognito'`: an API Gateway Cognito user pools authorizer on `userPool`; no Lambda
   * runs for a bad token, but clients must send the raw ID token (the `Bearer ` prefix is not
   * documented to work) and access tokens pass the gateway.
   * @default 'handler'
   */
  readonly restAuthorization?: PresenceRestAuthorization;
  /**
   * Origins allowed to call the REST API from a browser (`CORS_ALLOWED_ORIGINS` and the OPTIONS
   * preflight), e.g. the web client, `chrome-extension://<id>`, `http://localhost:4200`.
   * An empty list disables CORS.
   */
  readonly allowedOrigins: string[];

  // --- APIs ---
  /**
   * Stage name of both the WebSocket and the REST API (the first path segment of their URLs).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state request rate limit of each stage, in requests per second.
   * @default - the account's limit
   */
  readonly throttlingRateLimitPerSecond?: number;
  /**
   * Burst limit of each stage, in requests.
   * @default - the account's limit
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Create the account-wide role API Gateway needs to write access logs (`AWS::ApiGateway::Account`).
   * Stage access logging fails to deploy in an account and region where no such role is set; there
   * is one per account and region, so only one stack should own it.
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
   * Interval of the timeout sweep, in seconds: a whole number of minutes (the schedule's
   * granularity), below `presenceTimeoutSeconds`.
   * @default 60
   */
  readonly sweepIntervalSeconds?: number;
  /**
   * Connections removed per sweep batch (`PRESENCE_SWEEP_BATCH_SIZE`).
   * @default 500
   */
  readonly sweepBatchSize?: number;
  /**
   * Users a sweep takes offline before it announces them and goes on
   * (`PRESENCE_SWEEP_ANNOUNCE_AFTER`). The users already removed are always announced, so lower it
   * if a mass timeout with many online friends could outlast the sweep function's safety margin.
   * @default 100000
   */
  readonly sweepAnnounceAfter?: number;
  /**
   * How the functions send frames to the WebSocket API (`GATEWAY_TRANSPORT`). `'signed-http'` is
   * opt-in: it spends about half the CPU per post of the SDK client, which stays the reference.
   * @default - the handlers' default, `'sdk'` (the variable is not set)
   */
  readonly gatewayTransport?: PresenceGatewayTransport;

  // --- Functions ---
  /**
   * Memory of each request function, in MB.
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
   * Level of the handlers' logs (`LOG_LEVEL`).
   * @default 'info'
   */
  readonly logLevel?: PresenceLogLevel;
  /**
   * Retention of the functions' and stages' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Active X-Ray tracing on the functions and the REST stage.
   * @default false
   */
  readonly tracingEnabled?: boolean;
  /**
   * Directory holding one `<name>/index.mjs` bundle per function.
   * @default - the bundles built into this package's `dist/functions`
   */
  readonly functionsCodeDirectory?: string;

  // --- Redis ---
  /**
   * An existing Redis to use.
   * @default - an ElastiCache replication group is created (encrypted in transit and at rest, AUTH token in Secrets Manager)
   */
  readonly redis?: PresenceRedisConnection;
  /**
   * Node type of the created replication group.
   * @default 'cache.t4g.small'
   */
  readonly redisNodeType?: string;
  /**
   * Create the replication group in cluster mode (sharded; the handlers use a cluster client).
   * @default false
   */
  readonly redisClusterModeEnabled?: boolean;
  /**
   * Shards of the created replication group in cluster mode.
   * @default 1
   */
  readonly redisShardCount?: number;
  /**
   * Replicas per shard of the created replication group; at least 1 gives Multi-AZ failover.
   * @default 1
   */
  readonly redisReplicasPerShard?: number;
  /**
   * Engine version of the created replication group.
   * @default '7.1'
   */
  readonly redisEngineVersion?: string;
  /**
   * Prefix of every Redis key (`REDIS_KEY_PREFIX`), to share one Redis between deployments.
   * @default - the handlers' default prefix
   */
  readonly redisKeyPrefix?: string;

  // --- PostgreSQL ---
  /** The user service's PostgreSQL (friend graph and profiles). */
  readonly database: PresenceDatabaseConnection;
}
