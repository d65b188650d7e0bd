import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';
import { ConfigError } from '@presence/core';
import pg from 'pg';

/** IAM database authentication: every new connection gets a fresh token from `@aws-sdk/rds-signer`. */
export interface IamAuthOptions {
  /** AWS region of the database or RDS Proxy. */
  readonly region: string;
  /** Hostname the token is signed for: the RDS Proxy or instance endpoint you connect to. */
  readonly hostname: string;
  /** @default 5432 */
  readonly port?: number;
  /** Database user the token logs in as. */
  readonly username: string;
  /** Credentials to sign with. @default - the default AWS credential provider chain */
  readonly credentials?: SignerConfig['credentials'];
}

/** How to build the pool when none is given. Ignored when a `pool` is passed. */
export interface PoolOptions {
  /** `postgres://user@host:5432/db`; other fields override its parts. */
  readonly connectionString?: string;
  /**
   * Extra `pg.PoolConfig` fields (host, port, user, database, password...), applied first; the
   * options below win over them.
   */
  readonly poolConfig?: pg.PoolConfig;
  /**
   * TLS, passed to pg as is: `true`, or `{ rejectUnauthorized: true, ca }` with the RDS CA bundle.
   * @default - off; `true` when `iamAuth` is set (IAM authentication requires TLS)
   */
  readonly ssl?: pg.PoolConfig['ssl'];
  /** IAM authentication through `@aws-sdk/rds-signer`. @default - password authentication */
  readonly iamAuth?: IamAuthOptions;
  /**
   * Server-side `statement_timeout`, sent in the connection's startup message (not a `SET`, which
   * would pin RDS Proxy sessions). `0` disables it, e.g. when the role already sets one.
   * @default 2000
   */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side limit for one query, covering what the server cannot see (a stalled network). On
   * expiry the connection is discarded.
   * @default statementTimeoutMs + 1000 (5000 when statementTimeoutMs is 0)
   */
  readonly queryTimeoutMs?: number;
  /** Limit for opening a connection (TCP, TLS, authentication). @default 5000 */
  readonly connectionTimeoutMs?: number;
  /** Connections per pool: one or two per Lambda container behind RDS Proxy. @default 2 */
  readonly maxConnections?: number;
  /** Idle connections are closed after this long. @default 30000 */
  readonly idleTimeoutMs?: number;
}

/** Defaults of {@link PoolOptions}. */
export const POOL_DEFAULTS = Object.freeze({
  statementTimeoutMs: 2000,
  connectionTimeoutMs: 5000,
  maxConnections: 2,
  idleTimeoutMs: 30_000,
});

function nonNegativeInteger(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${option} must be a non-negative integer of milliseconds`);
  }
  return value;
}

/**
 * The `pg.PoolConfig` the graph builds its pool from. Pure: nothing connects.
 * @throws ConfigError for malformed options
 */
export function poolConfigOf(options: PoolOptions): pg.PoolConfig {
  const statementTimeoutMs =
    nonNegativeInteger(options.statementTimeoutMs, 'statementTimeoutMs') ??
    POOL_DEFAULTS.statementTimeoutMs;
  const queryTimeoutMs =
    nonNegativeInteger(options.queryTimeoutMs, 'queryTimeoutMs') ??
    (statementTimeoutMs === 0 ? 5000 : statementTimeoutMs + 1000);
  const connectionTimeoutMs =
    nonNegativeInteger(options.connectionTimeoutMs, 'connectionTimeoutMs') ??
    POOL_DEFAULTS.connectionTimeoutMs;
  const idleTimeoutMs =
    nonNegativeInteger(options.idleTimeoutMs, 'idleTimeoutMs') ?? POOL_DEFAULTS.idleTimeoutMs;
  const max = options.maxConnections ?? POOL_DEFAULTS.maxConnections;
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigError('maxConnections must be a positive integer');
  }

  const config: pg.PoolConfig = {
    ...options.poolConfig,
    max,
    idleTimeoutMillis: idleTimeoutMs,
    connectionTimeoutMillis: connectionTimeoutMs,
    query_timeout: queryTimeoutMs,
    statement_timeout: statementTimeoutMs === 0 ? false : statementTimeoutMs,
    // A Lambda container or a CLI must be able to exit while idle connections remain.
    allowExitOnIdle: true,
  };
  if (options.connectionString !== undefined) config.connectionString = options.connectionString;
  if (options.ssl !== undefined) config.ssl = options.ssl;

  const iam = options.iamAuth;
  if (iam !== undefined) {
    for (const key of ['region', 'hostname', 'username'] as const) {
      if (typeof iam[key] !== 'string' || iam[key] === '') {
        throw new ConfigError(`iamAuth.${key} must be a non-empty string`);
      }
    }
    const port = iam.port ?? 5432;
    const signer = new Signer({
      region: iam.region,
      hostname: iam.hostname,
      port,
      username: iam.username,
      ...(iam.credentials === undefined ? {} : { credentials: iam.credentials }),
    });
    config.user = iam.username;
    if (options.connectionString === undefined) {
      config.host ??= iam.hostname;
      config.port ??= port;
    }
    // pg calls this for every new connection; a token lives 15 minutes, a connection may live longer
    // (authentication happens only at connect, so an expired token never cuts a live connection).
    config.password = () => signer.getAuthToken();
    config.ssl ??= true;
  }
  return config;
}

/** Builds a pool from options. Nothing connects until the first query. */
export function createPool(options: PoolOptions): pg.Pool {
  return new pg.Pool(poolConfigOf(options));
}
