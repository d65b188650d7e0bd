import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  type Clock,
  ConfigError,
  type ConnectionNotifier,
  createPresenceService,
  type FriendGraph,
  GraphUnavailableError,
  type Logger,
  PresenceError,
  type PresenceService,
  type PresenceStore,
  StoreUnavailableError,
  systemClock,
} from '@presence/core';
import { PostgresFriendGraph, type PostgresFriendGraphOptions } from '@presence/postgres';
import { RedisPresenceStore, type RedisPresenceStoreOptions } from '@presence/redis';
import { createApiGatewayNotifier } from './api-gateway-notifier.js';
import type { DatabaseConfig, PresenceConfig, RedisConfig } from './config.js';
import { createLogger } from './logger.js';
import {
  databaseSecretOf,
  memoizeSecrets,
  readSecretsManagerSecret,
  redisAuthTokenOf,
  type SecretReader,
} from './secrets.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/** Replacements for what {@link createRuntime} would build: tests and the local runtime use them. */
export interface RuntimeOverrides {
  /** @default - a RedisPresenceStore from `config.redis` */
  store?: PresenceStore;
  /** @default - a PostgresFriendGraph from `config.database` */
  graph?: FriendGraph;
  /** @default - the API Gateway `@connections` notifier on `config.websocketCallbackUrl` */
  notifier?: ConnectionNotifier;
  /** @default - aws-jwt-verify from `config.auth` */
  verifier?: TokenVerifier;
  /** @default - the system clock */
  clock?: Clock;
  /** @default - JSON lines on stdout at `config.logLevel` */
  logger?: Logger;
  /** Reads a secret's `SecretString`. @default - AWS Secrets Manager, each secret once per container */
  readSecret?: SecretReader;
}

/** Everything the handlers need, built once per container. */
export interface PresenceRuntime {
  /** The validated configuration. */
  readonly config: PresenceConfig;
  /** The presence service over the store, the graph and the notifier. */
  readonly service: PresenceService;
  /** Verifies tokens (the `$connect` authorizer and the REST fallback). */
  readonly verifier: TokenVerifier;
  /** Structured logger. */
  readonly logger: Logger;
  /** Sends error frames back to a connection. @default - none: rejected frames are only logged */
  readonly notifier?: ConnectionNotifier;
  /** The service's clock; the timeout handler computes its deadline with it. @default - the system clock */
  readonly clock?: Clock;
  /** Closes the Redis client and the pg pool this runtime built. */
  close(): Promise<void>;
}

/** Longest a store call may take before it counts as an outage (covers a cluster that cannot connect). */
const STORE_CALL_TIMEOUT_MS = 3000;

/**
 * Builds the runtime from configuration. Nothing connects here: the Redis client, the pg pool and
 * the `@connections` client are created once and connect on first use; secrets (Redis AUTH token,
 * database credentials) are fetched once, on first use, and refetched only after a failure.
 * @example const runtime = createRuntime(parseConfig(process.env));
 */
export function createRuntime(
  config: PresenceConfig,
  overrides: RuntimeOverrides = {},
): PresenceRuntime {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const readSecret = memoizeSecrets(overrides.readSecret ?? readSecretsManagerSecret);
  const store = overrides.store ?? guardStore(() => buildStore(config, readSecret, logger));
  const graph = overrides.graph ?? deferGraph(() => buildGraph(config, readSecret, logger));
  const notifier =
    overrides.notifier ??
    (config.websocketCallbackUrl === undefined
      ? missingCallbackUrl
      : createApiGatewayNotifier({
          endpoint: config.websocketCallbackUrl,
          ...(config.awsRegion === undefined ? {} : { region: config.awsRegion }),
          transport: config.gatewayTransport,
          logger,
        }));
  const service = createPresenceService({
    store,
    graph,
    notifier,
    ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
    timeoutMs: config.timeoutSeconds * 1000,
    sweepBatchSize: config.sweepBatchSize,
    sweepAnnounceAfter: config.sweepAnnounceAfter,
    // The handlers write one info line per invocation with the same counts plus latency; the
    // service's own info lines would double them, so they go to debug.
    logger: demoteInfo(logger),
  });
  const verifier = overrides.verifier ?? createTokenVerifier(config.auth);
  let closed: Promise<void> | undefined;
  return {
    config,
    service,
    verifier,
    logger,
    notifier,
    clock: overrides.clock ?? systemClock,
    close() {
      closed ??= Promise.all([
        overrides.store === undefined ? store.close?.() : undefined,
        overrides.graph === undefined ? graph.close?.() : undefined,
      ]).then(() => undefined);
      return closed;
    },
  };
}

const missingCallbackUrl: ConnectionNotifier = {
  send() {
    return Promise.reject(new ConfigError('WEBSOCKET_CALLBACK_URL is required to send frames'));
  },
  close() {
    return Promise.reject(new ConfigError('WEBSOCKET_CALLBACK_URL is required to close sockets'));
  },
};

function demoteInfo(logger: Logger): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.debug(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
}

/** The store options for a config and an AUTH token. Exported for tests. */
export function redisStoreOptions(
  redis: RedisConfig,
  timeoutSeconds: number,
  authToken: string | undefined,
): RedisPresenceStoreOptions {
  const url = new URL(redis.url);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password =
    authToken ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  const credentials = {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  const common = {
    keyPrefix: redis.keyPrefix,
    // The TTL safety net outlives three timeouts, so a live user never expires between heartbeats.
    ttlMs: 3 * timeoutSeconds * 1000,
  };
  // Fail fast when Redis is down (a Lambda must answer 503, not wait out its timeout) and keep
  // reconnecting for later invocations of the same container.
  const connection = {
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    ...(redis.tls ? { tls: {} } : {}),
  };
  if (!redis.cluster) {
    return { ...common, url: redis.url, redisOptions: { ...connection, ...credentials } };
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    ...common,
    clusterNodes: [{ host: url.hostname, port }],
    clusterOptions: {
      // ElastiCache with TLS: keep the hostnames the cluster reports so the certificate matches.
      dnsLookup: (address, callback) => callback(null, address),
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      redisOptions: { ...connection, ...credentials },
    },
  };
}

async function buildStore(
  config: PresenceConfig,
  readSecret: SecretReader,
  logger: Logger,
): Promise<PresenceStore> {
  const arn = config.redis.authSecretArn;
  const token = arn === undefined ? undefined : redisAuthTokenOf(await readSecret(arn), arn);
  const store = new RedisPresenceStore(
    redisStoreOptions(config.redis, config.timeoutSeconds, token),
  );
  // ioredis prints every reconnect failure to stderr unless someone listens: log the first one of
  // each outage at warn (code only), the rest at debug.
  let healthy = true;
  store.client.on('ready', () => {
    healthy = true;
  });
  store.client.on('error', (error: Error & { code?: unknown }) => {
    const fields = { op: 'redis', code: error.code ?? error.name };
    if (healthy) logger.warn(fields, 'redis connection error');
    else logger.debug(fields, 'redis connection error');
    healthy = false;
  });
  return store;
}

/** TLS options for pg from a libpq-style mode. Exported for tests. */
export function pgSsl(mode: DatabaseConfig['ssl']): PostgresFriendGraphOptions['ssl'] {
  if (mode === undefined) return undefined;
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  // verify-full: Node's bundled roots do not include the RDS CAs; Lambda ships them here.
  const lambdaBundle = '/var/runtime/ca-cert.pem';
  return existsSync(lambdaBundle)
    ? { rejectUnauthorized: true, ca: [...rootCertificates, readFileSync(lambdaBundle, 'utf8')] }
    : { rejectUnauthorized: true };
}

async function buildGraph(
  config: PresenceConfig,
  readSecret: SecretReader,
  logger: Logger,
): Promise<FriendGraph> {
  const db = config.database;
  const ssl = pgSsl(db.ssl);
  const common = {
    ...(db.schema === undefined ? {} : { schema: db.schema }),
    ...(ssl === undefined ? {} : { ssl }),
    preparedStatements: db.preparedStatements,
    logger,
  };
  if (db.connectionString !== undefined) {
    return new PostgresFriendGraph({ ...common, connectionString: db.connectionString });
  }
  const host = db.host as string;
  if (db.iamAuth) {
    return new PostgresFriendGraph({
      ...common,
      poolConfig: { database: db.database },
      iamAuth: {
        region: config.awsRegion as string,
        hostname: host,
        port: db.port,
        username: db.user as string,
      },
    });
  }
  const secret =
    db.secretArn === undefined
      ? undefined
      : databaseSecretOf(await readSecret(db.secretArn), db.secretArn);
  return new PostgresFriendGraph({
    ...common,
    poolConfig: {
      host,
      port: db.port,
      database: db.database ?? secret?.dbname,
      user: db.user ?? secret?.username,
      ...(secret === undefined ? {} : { password: secret.password }),
    },
  });
}

/** Builds once on first use; a failed build (a secret fetch) is retried on the next call. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      pending = build();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

function translate(error: unknown, make: (cause: unknown) => PresenceError): PresenceError {
  return PresenceError.isInstance(error) ? error : make(error);
}

/** A store built on first use, each call bounded by {@link STORE_CALL_TIMEOUT_MS}. */
function guardStore(build: () => Promise<PresenceStore>): PresenceStore {
  const get = once(build);
  let built: PresenceStore | undefined;
  const call = async <R>(operation: string, run: (store: PresenceStore) => Promise<R>) => {
    let store: PresenceStore;
    try {
      store = await get();
    } catch (error) {
      throw translate(
        error,
        (cause) => new StoreUnavailableError('Redis credentials could not be read', { cause }),
      );
    }
    built = store;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`Redis ${operation} timed out`)),
        STORE_CALL_TIMEOUT_MS,
      );
      timer.unref();
    });
    try {
      return await Promise.race([run(store), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    addConnection: (ref, now) => call('addConnection', (s) => s.addConnection(ref, now)),
    removeConnection: (id) => call('removeConnection', (s) => s.removeConnection(id)),
    touch: (ref, now) => call('touch', (s) => s.touch(ref, now)),
    setPage: (ref, page, shared, now) => call('setPage', (s) => s.setPage(ref, page, shared, now)),
    userOfConnection: (id) => call('userOfConnection', (s) => s.userOfConnection(id)),
    connectionsOf: (ids, seenSince) =>
      call('connectionsOf', (s) => s.connectionsOf(ids, seenSince)),
    presenceOf: (ids) => call('presenceOf', (s) => s.presenceOf(ids)),
    sweep: (cutoff, limit) => call('sweep', (s) => s.sweep(cutoff, limit)),
    liveUsers: (seenSince, limit) =>
      call('liveUsers', async (s) => s.liveUsers?.(seenSince, limit)),
    close: async () => {
      await built?.close?.();
    },
  };
}

/** A graph built on first use (after its credentials are read). */
function deferGraph(build: () => Promise<FriendGraph>): FriendGraph {
  const get = once(build);
  let built: FriendGraph | undefined;
  const call = async <R>(run: (graph: FriendGraph) => Promise<R>) => {
    let graph: FriendGraph;
    try {
      graph = await get();
    } catch (error) {
      throw translate(
        error,
        (cause) => new GraphUnavailableError('PostgreSQL credentials could not be read', { cause }),
      );
    }
    built = graph;
    return run(graph);
  };
  return {
    friendsOf: (id) => call((g) => g.friendsOf(id)),
    friendsOfMany: (ids) => call((g) => g.friendsOfMany(ids)),
    areFriends: (a, b) => call((g) => g.areFriends(a, b)),
    profilesOf: (ids) => call((g) => g.profilesOf(ids)),
    sharingSettingsOf: (id) => call((g) => g.sharingSettingsOf(id)),
    friendsAndSettingsOf: (id) => call((g) => g.friendsAndSettingsOf(id)),
    friendsWithProfilesOf: (id) => call((g) => g.friendsWithProfilesOf(id)),
    close: async () => {
      await built?.close?.();
    },
  };
}
