import * as z from 'zod';
import {
  anyUrl,
  dynamoTableName,
  flag,
  fraction,
  integer,
  list,
  oneOf,
  origins,
  required,
  secretArn,
  secureUrl,
  sqlIdentifier,
  urlOf,
} from './fields.js';

// One zod schema per concern. Each parses the whole environment, keeps its own variables and
// transforms them into its part of the runtime configuration: no cast, no second pass.
// A later concern (the friend cache, activity history) gets a group of its own here, and a line in
// `GROUP_SHAPE` (config/index.ts) and in the manifest's `CONFIG_GROUP_NAMES`.

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A positive decimal number (`0.5`, `10`), at most `max`. */
const rate = (max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number above 0 and at most ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .gt(0, `must be a number above 0 and at most ${max}`)
        .max(max, `must be a number above 0 and at most ${max}`),
    );

/**
 * `presence`: what every function holding the store shares: the timeout, the limits the store
 * enforces in its writes (connections per user, the frame rate), the skip rule's refresh window and
 * last seen (kept by the store when a user goes offline, read by `GET /presence`).
 */
export const presenceGroup = z
  .object({
    /** A user is offline after this long without a heartbeat or update. */
    PRESENCE_TIMEOUT_SECONDS: integer(10, 86_400).default(180),
    /** Most connections one user holds; a new one beyond it closes the least recently seen. */
    PRESENCE_MAX_CONNECTIONS_PER_USER: integer(1, 1000).default(20),
    /** Heartbeat and update-presence frames per second per connection (token bucket); unset: no limit. */
    PRESENCE_FRAME_RATE_PER_SECOND: rate(1000).optional(),
    /** Frames a connection may send at once after a quiet period. Needs the rate. */
    PRESENCE_FRAME_RATE_BURST: integer(1, 10_000).optional(),
    /** An unchanged page is sent again at least this often per user; 0 sends every update. */
    PRESENCE_FRAME_REFRESH_SECONDS: integer(0, 86_400).default(600),
    /** Days the last activity of a user who went offline is kept for `lastSeenAt`; 0 turns last seen off. */
    PRESENCE_LAST_SEEN_DAYS: integer(0, 3650).default(30),
    /** `lastSeenAt` is rounded down to a multiple of this (privacy). */
    PRESENCE_LAST_SEEN_GRANULARITY_SECONDS: integer(1, 86_400).default(300),
  })
  .superRefine((env, ctx) => {
    if (
      env.PRESENCE_FRAME_RATE_BURST !== undefined &&
      env.PRESENCE_FRAME_RATE_PER_SECOND === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['PRESENCE_FRAME_RATE_BURST'],
        message: 'is set without PRESENCE_FRAME_RATE_PER_SECOND (the burst of which rate?)',
      });
    }
  })
  .transform((env) => ({
    timeoutSeconds: env.PRESENCE_TIMEOUT_SECONDS,
    maxConnectionsPerUser: env.PRESENCE_MAX_CONNECTIONS_PER_USER,
    // The burst defaults to ten frames or one second's worth, whichever is more: a tab switch
    // storm passes, a flood does not.
    frameRateLimit:
      env.PRESENCE_FRAME_RATE_PER_SECOND === undefined
        ? undefined
        : {
            perSecond: env.PRESENCE_FRAME_RATE_PER_SECOND,
            burst:
              env.PRESENCE_FRAME_RATE_BURST ??
              Math.max(10, Math.ceil(env.PRESENCE_FRAME_RATE_PER_SECOND)),
          },
    frameRefreshSeconds: env.PRESENCE_FRAME_REFRESH_SECONDS,
    lastSeenDays: env.PRESENCE_LAST_SEEN_DAYS,
    lastSeenGranularitySeconds: env.PRESENCE_LAST_SEEN_GRANULARITY_SECONDS,
  }));

/** `sweep`: the timeout sweep's batch and round sizes. */
export const sweepGroup = z
  .object({
    PRESENCE_SWEEP_BATCH_SIZE: integer(1, 10_000).default(500),
    PRESENCE_SWEEP_ANNOUNCE_AFTER: integer(1, 10_000_000).default(100_000),
  })
  .transform((env) => ({
    batchSize: env.PRESENCE_SWEEP_BATCH_SIZE,
    announceAfter: env.PRESENCE_SWEEP_ANNOUNCE_AFTER,
  }));

/** `observability`: logs, metrics and traces. Every function has it. */
export const observabilityGroup = z
  .object({
    LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error']).default('info'),
    /** Share of invocations logged at debug whatever LOG_LEVEL says (Powertools sampling). */
    LOG_SAMPLE_RATE: fraction.default(0),
    /** `emf`: CloudWatch Embedded Metric Format lines on stdout; `off`: none. */
    METRICS: oneOf(['emf', 'off']).default('emf'),
    METRICS_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be 1-255 characters of A-Z a-z 0-9 . _ / # : -')
      .default('Presence'),
    /** The `service` dimension of every metric and the `service` key of every log line. */
    PRESENCE_SERVICE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -')
      .default('presence'),
    /** X-Ray subsegments for the ports and the AWS SDK clients (Powertools Tracer). */
    TRACING: flag.default(false),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL satisfies LogLevel,
    logSampleRate: env.LOG_SAMPLE_RATE,
    metrics: env.METRICS,
    metricsNamespace: env.METRICS_NAMESPACE,
    serviceName: env.PRESENCE_SERVICE_NAME,
    tracing: env.TRACING,
  }));

const USER_POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/;

/** `identity`: who issues the tokens, Cognito or any OIDC issuer. */
export const identityGroup = z
  .discriminatedUnion(
    'AUTH_PROVIDER',
    [
      z.object({
        AUTH_PROVIDER: z.literal('cognito'),
        AUTH_COGNITO_USER_POOL_ID: required().regex(
          USER_POOL_ID,
          'must look like us-east-1_AbCdEf123',
        ),
        /** App clients accepted as `aud`; unset accepts any client of the pool. */
        AUTH_COGNITO_CLIENT_ID: list.optional(),
        AUTH_USER_ID_CLAIM: z.string().default('cognito:username'),
      }),
      z.object({
        AUTH_PROVIDER: z.literal('oidc'),
        AUTH_ISSUER: anyUrl,
        AUTH_JWKS_URL: secureUrl,
        /** Accepted `aud` values; unset skips the audience check. */
        AUTH_AUDIENCE: list.optional(),
        AUTH_USER_ID_CLAIM: z.string().default('sub'),
      }),
    ],
    { error: 'must be cognito or oidc' },
  )
  .transform((env) =>
    env.AUTH_PROVIDER === 'cognito'
      ? {
          kind: 'cognito' as const,
          userPoolId: env.AUTH_COGNITO_USER_POOL_ID,
          clientIds: env.AUTH_COGNITO_CLIENT_ID ?? [],
          userIdClaim: env.AUTH_USER_ID_CLAIM,
        }
      : {
          kind: 'oidc' as const,
          issuer: env.AUTH_ISSUER,
          jwksUrl: env.AUTH_JWKS_URL,
          audiences: env.AUTH_AUDIENCE ?? [],
          userIdClaim: env.AUTH_USER_ID_CLAIM,
        },
  );

const redisCommon = {
  /** `redis://host:port` or `rediss://host:port` (TLS). */
  REDIS_URL: urlOf(['redis:', 'rediss:'], 'redis:// or rediss://'),
  /** Redis Cluster (ElastiCache cluster mode, ElastiCache Serverless), seeded from the URL's host. */
  REDIS_CLUSTER: flag.default(false),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -')
    .default('presence'),
};

/** `redis`: the presence store; credentials in the URL, or an AUTH token in Secrets Manager. */
export const redisGroup = z
  .discriminatedUnion(
    'REDIS_AUTH',
    [
      z.object({ REDIS_AUTH: z.literal('url').optional(), ...redisCommon }),
      z.object({
        REDIS_AUTH: z.literal('secret'),
        ...redisCommon,
        REDIS_AUTH_SECRET_ARN: secretArn,
      }),
    ],
    { error: 'must be url or secret' },
  )
  .transform((env) => ({
    url: env.REDIS_URL,
    tls: env.REDIS_URL.startsWith('rediss:'),
    cluster: env.REDIS_CLUSTER,
    keyPrefix: env.REDIS_KEY_PREFIX,
    authSecretArn: env.REDIS_AUTH === 'secret' ? env.REDIS_AUTH_SECRET_ARN : undefined,
  }));

/** PostgreSQL TLS mode, named as libpq names them. */
export type DatabaseSslMode = 'disable' | 'require' | 'verify-full';

const databaseCommon = {
  DB_SCHEMA: sqlIdentifier.optional(),
  /** Named prepared statements: direct connections or PgBouncer 1.21+ only, never RDS Proxy. */
  DB_PREPARED_STATEMENTS: flag.default(false),
};
const databaseHost = {
  DB_HOST: required(),
  DB_PORT: integer(1, 65_535).default(5432),
  DB_SSL: oneOf(['disable', 'require', 'verify-full']).default('verify-full'),
};

/** `database`: the user service's PostgreSQL, by URL (development), secret, or RDS Proxy + IAM. */
export const databaseGroup = z
  .discriminatedUnion(
    'DB_CONNECTION',
    [
      z.object({
        DB_CONNECTION: z.literal('url'),
        DATABASE_URL: urlOf(['postgres:', 'postgresql:'], 'postgres://'),
        DB_SSL: oneOf(['disable', 'require', 'verify-full']).optional(),
        ...databaseCommon,
      }),
      z.object({
        DB_CONNECTION: z.literal('secret'),
        ...databaseHost,
        /** RDS-style JSON secret `{username,password,dbname?}`; cached, re-read on an auth failure. */
        DB_SECRET_ARN: secretArn,
        DB_NAME: z.string().optional(),
        DB_USER: z.string().optional(),
        ...databaseCommon,
      }),
      z.object({
        DB_CONNECTION: z.literal('iam'),
        ...databaseHost,
        DB_NAME: required(),
        DB_USER: required(),
        // A prepared statement pins the RDS Proxy session.
        DB_PREPARED_STATEMENTS: z
          .literal('false', { error: 'cannot be true behind RDS Proxy' })
          .optional(),
        DB_SCHEMA: sqlIdentifier.optional(),
      }),
    ],
    { error: 'must be url, secret or iam' },
  )
  .transform((env) => {
    const common = { schema: env.DB_SCHEMA };
    switch (env.DB_CONNECTION) {
      case 'url':
        return {
          kind: 'url' as const,
          url: env.DATABASE_URL,
          ssl: env.DB_SSL,
          preparedStatements: env.DB_PREPARED_STATEMENTS,
          ...common,
        };
      case 'secret':
        return {
          kind: 'secret' as const,
          host: env.DB_HOST,
          port: env.DB_PORT,
          ssl: env.DB_SSL,
          secretArn: env.DB_SECRET_ARN,
          database: env.DB_NAME,
          user: env.DB_USER,
          preparedStatements: env.DB_PREPARED_STATEMENTS,
          ...common,
        };
      case 'iam':
        return {
          kind: 'iam' as const,
          host: env.DB_HOST,
          port: env.DB_PORT,
          ssl: env.DB_SSL,
          database: env.DB_NAME,
          user: env.DB_USER,
          preparedStatements: false,
          ...common,
        };
    }
  });

/** `gateway`: where frames go (`@connections`) and how. */
export const gatewayGroup = z
  .object({
    /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
    WEBSOCKET_CALLBACK_URL: secureUrl.transform((url) => url.replace(/\/+$/, '')),
    /** `sdk`: the AWS SDK client; `signed-http`: the same requests signed on node:http(s). */
    GATEWAY_TRANSPORT: oneOf(['sdk', 'signed-http']).default('sdk'),
  })
  .transform((env) => ({
    callbackUrl: env.WEBSOCKET_CALLBACK_URL,
    transport: env.GATEWAY_TRANSPORT,
  }));

/** `cors`: origins the REST handlers echo. */
export const corsGroup = z
  .object({ CORS_ALLOWED_ORIGINS: origins.optional() })
  .transform((env) => ({ allowedOrigins: env.CORS_ALLOWED_ORIGINS ?? [] }));

/** `aws`: what the Lambda runtime sets itself; never set by the construct. */
export const awsGroup = z
  .object({ AWS_REGION: z.string().optional(), AWS_DEFAULT_REGION: z.string().optional() })
  .transform((env) => ({ region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION }));

/**
 * `friendCache`: users' accepted friends and sharing settings kept in the store's Redis in front of
 * PostgreSQL, for the functions whose reads it serves (update-presence, disconnect, timeout,
 * get-user-presence) and the graph-changed function that invalidates it. `0` (the default) turns
 * it off. Without an invalidation an unfriended user may still receive frames for this long.
 */
export const friendCacheGroup = z
  .object({
    /** Seconds an entry is served without reading PostgreSQL; 0 turns the cache off. */
    PRESENCE_FRIEND_CACHE_SECONDS: integer(0, 3600).default(0),
  })
  .transform((env) => ({ ttlSeconds: env.PRESENCE_FRIEND_CACHE_SECONDS }));

/**
 * `activity`: the activity history (issue 14) on DynamoDB. Unset `ACTIVITY_TABLE_NAME` means no
 * history: nothing is recorded and `GET`/`DELETE /activity` answer 404.
 */
export const activityGroup = z
  .object({
    /** The table laid out as `@presence/dynamodb`'s `ACTIVITY_TABLE` says; unset: no history. */
    ACTIVITY_TABLE_NAME: dynamoTableName.optional(),
    /** Days an entry is listed (and the TTL it is written with). */
    ACTIVITY_RETENTION_DAYS: integer(1, 3650).default(30),
  })
  .transform((env) =>
    env.ACTIVITY_TABLE_NAME === undefined
      ? undefined
      : { tableName: env.ACTIVITY_TABLE_NAME, retentionDays: env.ACTIVITY_RETENTION_DAYS },
  );
