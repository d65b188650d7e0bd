import { ConfigError } from '@presence/core';
import { z } from 'zod';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Redis connection settings (ElastiCache or a plain server). */
export interface RedisConfig {
  /** `redis://` or `rediss://` URL; user and password in it are honoured unless a secret is given. */
  readonly url: string;
  /** True for `rediss://`: TLS, as ElastiCache encryption in transit needs. */
  readonly tls: boolean;
  /** True for Redis Cluster (ElastiCache cluster mode), seeded from the URL's host. */
  readonly cluster: boolean;
  /** Secrets Manager secret holding the AUTH token, fetched once on first use. */
  readonly authSecretArn: string | undefined;
  /** Prefix of every key the store writes. */
  readonly keyPrefix: string;
}

/** PostgreSQL TLS mode, named as libpq names them. */
export type DatabaseSslMode = 'disable' | 'require' | 'verify-full';

/** PostgreSQL connection settings: a URL (dev) or host, port, database, user and a secret. */
export interface DatabaseConfig {
  /** `postgres://` URL; when set, the host fields are ignored. */
  readonly connectionString: string | undefined;
  /** Host of the database or RDS Proxy. */
  readonly host: string | undefined;
  /** Port. */
  readonly port: number;
  /** Database name (else the secret's `dbname`). */
  readonly database: string | undefined;
  /** User (else the secret's `username`). */
  readonly user: string | undefined;
  /** RDS-style JSON secret `{username,password,...}` in Secrets Manager, fetched once on first use. */
  readonly secretArn: string | undefined;
  /** TLS mode; `undefined` leaves it to the connection string. */
  readonly ssl: DatabaseSslMode | undefined;
  /** IAM database authentication (a fresh `@aws-sdk/rds-signer` token per connection). */
  readonly iamAuth: boolean;
  /** Schema holding the user service's tables, when not on the search path. */
  readonly schema: string | undefined;
  /** Named prepared statements (direct connections; not behind RDS Proxy). @default false */
  readonly preparedStatements: boolean;
}

/** Cognito user pool ID tokens (PROTOCOL.md). */
export interface CognitoAuthConfig {
  readonly kind: 'cognito';
  /** `us-east-1_AbCdEf123`. */
  readonly userPoolId: string;
  /** App client ids accepted as `aud`; empty accepts any client of the pool. */
  readonly clientIds: readonly string[];
  /** Claim holding the user id. @default 'cognito:username' */
  readonly userIdClaim: string;
}

/** Any OIDC issuer: issuer, JWKS URL, optional audiences. */
export interface JwtAuthConfig {
  readonly kind: 'jwt';
  /** Expected `iss`. */
  readonly issuer: string;
  /** Where the signing keys are published (https, or http on a loopback host for local runs). */
  readonly jwksUrl: string;
  /** Accepted `aud` values; empty skips the audience check. */
  readonly audiences: readonly string[];
  /** Claim holding the user id. @default 'sub' */
  readonly userIdClaim: string;
}

/** How tokens are verified. */
export type AuthConfig = CognitoAuthConfig | JwtAuthConfig;

/**
 * How the notifier calls the `@connections` API: the AWS SDK client (the reference), or requests
 * signed with `@smithy/signature-v4` on node:http(s) (same requests, about half the CPU per post).
 */
export type NotifierTransport = 'sdk' | 'signed-http';

/** Everything the handlers read from the environment, validated. */
export interface PresenceConfig {
  /** Seconds without heartbeat or update before a user is offline. @default 180 */
  readonly timeoutSeconds: number;
  /** Connections removed per store sweep call. @default 500 */
  readonly sweepBatchSize: number;
  /** Users a sweep takes offline before it announces them and goes on. @default 100_000 */
  readonly sweepAnnounceAfter: number;
  /** Least severe level written. @default 'info' */
  readonly logLevel: LogLevel;
  readonly redis: RedisConfig;
  readonly database: DatabaseConfig;
  readonly auth: AuthConfig;
  /** The `@connections` endpoint; required by the handlers that send frames. */
  readonly websocketCallbackUrl: string | undefined;
  /** How frames reach the `@connections` API. @default 'sdk' */
  readonly gatewayTransport: NotifierTransport;
  /** Origins echoed in `Access-Control-Allow-Origin`; `*` allows any. */
  readonly corsAllowedOrigins: readonly string[];
  /** AWS region (`AWS_REGION`, set by Lambda). */
  readonly awsRegion: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** An `https:` URL, or `http:` on a loopback host (local runs and tests). */
function isSecureOrLoopback(url: URL): boolean {
  return (
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  );
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const integer = (fallback: number, min: number, max: number) =>
  optional.pipe(
    z
      .string()
      .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional()
      .transform((value) => value ?? fallback),
  );

const flag = optional.pipe(
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be "true" or "false"' })
    .optional()
    .transform((value) => value === 'true' || value === '1'),
);

const envSchema = z.object({
  PRESENCE_TIMEOUT_SECONDS: integer(180, 10, 86_400),
  PRESENCE_SWEEP_BATCH_SIZE: integer(500, 1, 10_000),
  PRESENCE_SWEEP_ANNOUNCE_AFTER: integer(100_000, 1, 10_000_000),
  LOG_LEVEL: optional.pipe(
    z
      .enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })
      .optional()
      .transform((value) => value ?? 'info'),
  ),
  REDIS_URL: optional,
  REDIS_CLUSTER: flag,
  REDIS_AUTH_SECRET_ARN: optional,
  REDIS_KEY_PREFIX: optional.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -')
      .optional()
      .transform((value) => value ?? 'presence'),
  ),
  DATABASE_URL: optional,
  DB_HOST: optional,
  DB_PORT: integer(5432, 1, 65_535),
  DB_NAME: optional,
  DB_USER: optional,
  DB_SECRET_ARN: optional,
  DB_SSL: optional.pipe(
    z
      .enum(['disable', 'require', 'verify-full'], {
        error: 'must be disable, require or verify-full',
      })
      .optional(),
  ),
  DB_IAM_AUTH: flag,
  DB_SCHEMA: optional,
  DB_PREPARED_STATEMENTS: flag,
  AUTH_COGNITO_USER_POOL_ID: optional,
  AUTH_COGNITO_CLIENT_ID: optional,
  AUTH_ISSUER: optional,
  AUTH_JWKS_URL: optional,
  AUTH_AUDIENCE: optional,
  AUTH_USER_ID_CLAIM: optional,
  WEBSOCKET_CALLBACK_URL: optional,
  GATEWAY_TRANSPORT: optional.pipe(
    z
      .enum(['sdk', 'signed-http'], { error: 'must be sdk or signed-http' })
      .optional()
      .transform((value) => value ?? 'sdk'),
  ),
  CORS_ALLOWED_ORIGINS: optional,
  AWS_REGION: optional,
  AWS_DEFAULT_REGION: optional,
});

type Env = z.infer<typeof envSchema>;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const USER_POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/;

/** Cross-variable rules; each failure names its variable. */
function crossCheck(env: Env): string[] {
  const problems: string[] = [];
  const problem = (name: string, message: string) => problems.push(`${name} ${message}`);

  if (env.REDIS_URL === undefined) problem('REDIS_URL', 'is required (redis:// or rediss://)');
  else {
    const url = parseUrl(env.REDIS_URL);
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      problem('REDIS_URL', 'must be a redis:// or rediss:// URL');
    } else if (url.hostname === '') problem('REDIS_URL', 'must name a host');
  }
  if (env.REDIS_AUTH_SECRET_ARN !== undefined && !SECRET_ARN.test(env.REDIS_AUTH_SECRET_ARN)) {
    problem('REDIS_AUTH_SECRET_ARN', 'must be a Secrets Manager secret ARN');
  }

  if (env.DATABASE_URL !== undefined) {
    const url = parseUrl(env.DATABASE_URL);
    if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
      problem('DATABASE_URL', 'must be a postgres:// URL');
    }
  } else if (env.DB_HOST === undefined) {
    problem('DB_HOST', 'is required when DATABASE_URL is not set');
  } else {
    if (env.DB_NAME === undefined && env.DB_SECRET_ARN === undefined) {
      problem('DB_NAME', 'is required when DB_SECRET_ARN is not set');
    }
    if (env.DB_USER === undefined && (env.DB_SECRET_ARN === undefined || env.DB_IAM_AUTH)) {
      problem(
        'DB_USER',
        env.DB_IAM_AUTH
          ? 'is required with DB_IAM_AUTH'
          : 'is required when DB_SECRET_ARN is not set',
      );
    }
  }
  if (env.DB_SECRET_ARN !== undefined && !SECRET_ARN.test(env.DB_SECRET_ARN)) {
    problem('DB_SECRET_ARN', 'must be a Secrets Manager secret ARN');
  }
  if (env.DB_IAM_AUTH) {
    if (env.DB_HOST === undefined)
      problem('DB_IAM_AUTH', 'needs DB_HOST (the token is signed for it)');
    if (env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined) {
      problem('DB_IAM_AUTH', 'needs AWS_REGION');
    }
  }
  if (env.DB_SCHEMA !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(env.DB_SCHEMA)) {
    problem('DB_SCHEMA', 'must be a plain SQL identifier');
  }

  const cognito = env.AUTH_COGNITO_USER_POOL_ID !== undefined;
  const generic = env.AUTH_ISSUER !== undefined || env.AUTH_JWKS_URL !== undefined;
  if (cognito && generic) {
    problem('AUTH_COGNITO_USER_POOL_ID', 'and AUTH_ISSUER/AUTH_JWKS_URL are exclusive: set one');
  } else if (cognito) {
    if (!USER_POOL_ID.test(env.AUTH_COGNITO_USER_POOL_ID ?? '')) {
      problem('AUTH_COGNITO_USER_POOL_ID', 'must look like us-east-1_AbCdEf123');
    }
  } else if (generic) {
    const issuer = env.AUTH_ISSUER === undefined ? undefined : parseUrl(env.AUTH_ISSUER);
    if (env.AUTH_ISSUER === undefined) problem('AUTH_ISSUER', 'is required with AUTH_JWKS_URL');
    else if (issuer === undefined) problem('AUTH_ISSUER', 'must be a URL');
    const jwks = env.AUTH_JWKS_URL === undefined ? undefined : parseUrl(env.AUTH_JWKS_URL);
    if (env.AUTH_JWKS_URL === undefined) problem('AUTH_JWKS_URL', 'is required with AUTH_ISSUER');
    else if (jwks === undefined || !isSecureOrLoopback(jwks)) {
      problem('AUTH_JWKS_URL', 'must be an https:// URL (http:// only on a loopback host)');
    }
  } else {
    problem('AUTH_COGNITO_USER_POOL_ID', 'or AUTH_ISSUER + AUTH_JWKS_URL is required');
  }
  if (env.AUTH_COGNITO_CLIENT_ID !== undefined && !cognito) {
    problem('AUTH_COGNITO_CLIENT_ID', 'needs AUTH_COGNITO_USER_POOL_ID');
  }

  if (env.WEBSOCKET_CALLBACK_URL !== undefined) {
    const url = parseUrl(env.WEBSOCKET_CALLBACK_URL);
    if (url === undefined || !isSecureOrLoopback(url)) {
      problem(
        'WEBSOCKET_CALLBACK_URL',
        'must be an https:// URL (http:// only on a loopback host)',
      );
    }
  }
  for (const origin of list(env.CORS_ALLOWED_ORIGINS)) {
    if (
      origin !== '*' &&
      parseUrl(origin)?.origin !== origin &&
      !origin.startsWith('chrome-extension://')
    ) {
      problem(
        'CORS_ALLOWED_ORIGINS',
        `has "${origin}", which is not an origin (scheme://host[:port])`,
      );
    }
  }
  return problems;
}

function toConfig(env: Env): PresenceConfig {
  const redisUrl = env.REDIS_URL as string;
  const cognito = env.AUTH_COGNITO_USER_POOL_ID;
  const auth: AuthConfig =
    cognito !== undefined
      ? {
          kind: 'cognito',
          userPoolId: cognito,
          clientIds: list(env.AUTH_COGNITO_CLIENT_ID),
          userIdClaim: env.AUTH_USER_ID_CLAIM ?? 'cognito:username',
        }
      : {
          kind: 'jwt',
          issuer: env.AUTH_ISSUER as string,
          jwksUrl: env.AUTH_JWKS_URL as string,
          audiences: list(env.AUTH_AUDIENCE),
          userIdClaim: env.AUTH_USER_ID_CLAIM ?? 'sub',
        };
  const viaUrl = env.DATABASE_URL !== undefined;
  return {
    timeoutSeconds: env.PRESENCE_TIMEOUT_SECONDS,
    sweepBatchSize: env.PRESENCE_SWEEP_BATCH_SIZE,
    sweepAnnounceAfter: env.PRESENCE_SWEEP_ANNOUNCE_AFTER,
    logLevel: env.LOG_LEVEL,
    redis: {
      url: redisUrl,
      tls: redisUrl.startsWith('rediss:'),
      cluster: env.REDIS_CLUSTER,
      authSecretArn: env.REDIS_AUTH_SECRET_ARN,
      keyPrefix: env.REDIS_KEY_PREFIX,
    },
    database: {
      connectionString: env.DATABASE_URL,
      host: viaUrl ? undefined : env.DB_HOST,
      port: env.DB_PORT,
      database: env.DB_NAME,
      user: env.DB_USER,
      secretArn: env.DB_SECRET_ARN,
      ssl: env.DB_SSL ?? (viaUrl ? undefined : 'verify-full'),
      iamAuth: env.DB_IAM_AUTH,
      schema: env.DB_SCHEMA,
      preparedStatements: env.DB_PREPARED_STATEMENTS,
    },
    auth,
    websocketCallbackUrl: env.WEBSOCKET_CALLBACK_URL?.replace(/\/+$/, ''),
    gatewayTransport: env.GATEWAY_TRANSPORT,
    corsAllowedOrigins: list(env.CORS_ALLOWED_ORIGINS),
    awsRegion: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
  };
}

/**
 * Reads and validates the handlers' environment variables (see the README table).
 * @throws ConfigError whose message names every problem at once
 * @example const config = parseConfig(process.env);
 */
export function parseConfig(env: Record<string, string | undefined>): PresenceConfig {
  const parsed = envSchema.safeParse(env ?? {});
  const problems = parsed.success
    ? crossCheck(parsed.data)
    : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  if (parsed.success && problems.length === 0) return Object.freeze(toConfig(parsed.data));
  // Field errors first; cross-variable rules still run on the rest, so one message names all.
  if (!parsed.success) problems.push(...crossCheckLoose(env ?? {}));
  throw new ConfigError(`Invalid presence configuration: ${dedupe(problems).join('; ')}`);
}

/** Cross-variable rules over the raw environment, for when some field failed to parse. */
function crossCheckLoose(env: Record<string, string | undefined>): string[] {
  const rest = Object.entries(env).filter(([key]) => !FIELD_CHECKED.has(key));
  const lenient = envSchema.safeParse(Object.fromEntries(rest));
  return lenient.success ? crossCheck(lenient.data) : [];
}

// Variables whose own format is checked by the schema; the lenient pass drops them so that the
// cross-variable rules can run on the rest.
const FIELD_CHECKED = new Set([
  'PRESENCE_TIMEOUT_SECONDS',
  'PRESENCE_SWEEP_BATCH_SIZE',
  'PRESENCE_SWEEP_ANNOUNCE_AFTER',
  'LOG_LEVEL',
  'REDIS_CLUSTER',
  'REDIS_KEY_PREFIX',
  'DB_PORT',
  'DB_SSL',
  'DB_IAM_AUTH',
  'DB_PREPARED_STATEMENTS',
  'GATEWAY_TRANSPORT',
]);

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}
