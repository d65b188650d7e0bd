import {
  type ActivityLog,
  type Clock,
  ConfigError,
  type ConnectionNotifier,
  type FriendCache,
  type FriendGraph,
  type Logger,
  type PresenceService,
  type PresenceServiceOptions,
  type PresenceStore,
  systemClock,
  withFriendCache,
} from '@presence/core';
import {
  createApiGatewayNotifier,
  createEmfMetrics,
  createPowertoolsLogger,
  createTokenVerifier,
  type MetricsSink,
  NO_METRICS,
  NO_TRACING,
  type SecretReader,
  type SecretSource,
  secretSourceOf,
  type Tracing,
} from '../aws/index.js';
import type { PresenceConfig } from '../config/index.js';
import type { PresenceRuntime, TokenVerifier } from '../edge/index.js';
import {
  instrumentGraph,
  instrumentNotifier,
  instrumentStore,
  instrumentVerifier,
} from './instrument.js';
import { createObserver } from './observer.js';
import { graphVia, STORE_WRITE_DEADLINE_MS, storeVia } from './ports.js';

/**
 * The configuration a runtime is built from: every group for a process hosting all handlers
 * ({@link parseConfig}), or one function's groups ({@link parseFunctionConfig}); a port whose group
 * is missing is absent.
 */
export type RuntimeConfig = Partial<PresenceConfig> & Pick<PresenceConfig, 'observability' | 'aws'>;

/** What the port builders get besides their configuration. */
export interface BuildDependencies {
  /** Where secrets are read. @default - Secrets Manager, cached (the builders create it on first use) */
  readonly secrets?: SecretSource;
  readonly logger: Logger;
  /** The service's clock (the activity history measures its retention with it). @default systemClock */
  readonly clock?: Clock;
}

/**
 * How one function builds its ports. A function entry passes only the builders it needs, so its
 * bundle holds only their code: the authorizer's has no Redis or PostgreSQL client at all.
 */
export interface PortBuilders {
  /** Builds the presence store (Redis) from the `redis` and `presence` groups. */
  readonly store?: (
    config: Pick<PresenceConfig, 'redis' | 'presence'>,
    deps: BuildDependencies,
  ) => PresenceStore;
  /** Builds the friend graph (PostgreSQL) from the `database` group and the region. */
  readonly graph?: (
    config: Pick<PresenceConfig, 'database' | 'aws'>,
    deps: BuildDependencies,
  ) => FriendGraph;
  /** Builds the `@connections` notifier from the `gateway` group and the region. */
  readonly notifier?: (
    config: Pick<PresenceConfig, 'gateway' | 'aws'>,
    deps: BuildDependencies,
  ) => ConnectionNotifier;
  /** Builds the JWT verifier from the `identity` group. */
  readonly verifier?: (config: Pick<PresenceConfig, 'identity'>) => TokenVerifier;
  /** The presence service over the ports (core's `createPresenceService`); the authorizer has none. */
  readonly service?: (options: PresenceServiceOptions) => PresenceService;
  /**
   * The friend-list cache put in front of the graph when `PRESENCE_FRIEND_CACHE_SECONDS` > 0 (the
   * Redis one, on the store's Redis); only the functions whose graph reads it serves have it.
   */
  readonly friendCache?: (
    config: Pick<PresenceConfig, 'redis' | 'friendCache'>,
    deps: BuildDependencies,
  ) => FriendCache;
  /** The activity history (`activity` group); `undefined` when the group turns it off. */
  readonly activityLog?: (
    config: Pick<PresenceConfig, 'activity' | 'aws'>,
    deps: BuildDependencies,
  ) => ActivityLog | undefined;
}

/** Replacements for what {@link createRuntime} would build: tests and the local runtime use them. */
export interface RuntimeOverrides {
  /** @default - a RedisPresenceStore from `config.redis` */
  readonly store?: PresenceStore;
  /** @default - a PostgresFriendGraph from `config.database` */
  readonly graph?: FriendGraph;
  /** @default - the API Gateway `@connections` notifier on `config.gateway` */
  readonly notifier?: ConnectionNotifier;
  /** @default - aws-jwt-verify from `config.identity` */
  readonly verifier?: TokenVerifier;
  /** @default - the system clock */
  readonly clock?: Clock;
  /** @default - Powertools Logger (JSON lines on stdout) at `config.observability.logLevel` */
  readonly logger?: Logger;
  /** Where metrics go. @default - EMF lines on stdout, or none with `METRICS=off` */
  readonly metrics?: MetricsSink;
  /** @default - none, or Powertools Tracer with `TRACING=true` (see {@link defineFunction}) */
  readonly tracing?: Tracing;
  /** Reads a secret's `SecretString`. @default - AWS Secrets Manager (Powertools Parameters, cached 5 minutes) */
  readonly readSecret?: SecretReader;
  /**
   * The friend cache used when `PRESENCE_FRIEND_CACHE_SECONDS` > 0 (e.g. a `MemoryFriendCache`
   * beside an in-memory store). Not closed by the runtime.
   * @default - a RedisFriendCache on `config.redis`
   */
  readonly friendCache?: FriendCache;
  /** @default - a DynamoDbActivityLog from `config.activity`, or none when it is unset */
  readonly activityLog?: ActivityLog;
}

/** The runtime with the configuration it was built from. */
export interface ComposedRuntime extends PresenceRuntime {
  /** The validated configuration. */
  readonly config: RuntimeConfig;
}

/** A port the function does not have: calling it is a deployment bug (a misrouted event). */
function absent(port: string): () => Promise<never> {
  return () =>
    Promise.reject(
      new ConfigError(`this function has no ${port}: the event was routed to the wrong function`),
    );
}

/**
 * Builds a runtime from configuration with the given port builders. Nothing connects here: the
 * clients are created once and connect on first use; secrets are read on first use, cached, and
 * read again when a backend refuses them. Every port is instrumented: latency, errors and
 * outcomes go to the invocation's metrics, and to X-Ray with tracing on.
 */
export function composeRuntime(
  config: RuntimeConfig,
  builders: PortBuilders,
  overrides: RuntimeOverrides = {},
): ComposedRuntime {
  const o11y = config.observability;
  const logger =
    overrides.logger ??
    createPowertoolsLogger({
      level: o11y.logLevel,
      sampleRate: o11y.logSampleRate,
      serviceName: o11y.serviceName,
    });
  const tracing = overrides.tracing ?? NO_TRACING;
  const metrics =
    overrides.metrics ??
    (o11y.metrics === 'emf'
      ? createEmfMetrics({ namespace: o11y.metricsNamespace, serviceName: o11y.serviceName })
      : NO_METRICS);
  const deps: BuildDependencies = {
    logger,
    ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
    ...(overrides.readSecret === undefined
      ? {}
      : { secrets: secretSourceOf(overrides.readSecret) }),
  };
  const { redis, presence, database, gateway, identity, aws } = config;

  const builtStore =
    overrides.store ??
    (redis && presence && builders.store ? builders.store({ redis, presence }, deps) : undefined);
  const builtGraph =
    overrides.graph ??
    (database && builders.graph ? builders.graph({ database, aws }, deps) : undefined);
  const builtNotifier =
    overrides.notifier ??
    (gateway && builders.notifier ? builders.notifier({ gateway, aws }, deps) : undefined);
  const builtActivityLog =
    overrides.activityLog ??
    (config.activity && builders.activityLog
      ? builders.activityLog({ activity: config.activity, aws }, deps)
      : undefined);
  const builtVerifier =
    overrides.verifier ??
    (identity && builders.verifier ? builders.verifier({ identity }) : undefined);

  const store = instrumentStore(
    builtStore ?? storeVia(absent('presence store (REDIS_* variables)')),
    tracing,
  );
  const measuredGraph = instrumentGraph(
    builtGraph ?? graphVia(absent('friend graph (DB_* variables)')),
    tracing,
  );
  // The cache sits outside the graph's instrumentation: GraphLatency and GraphErrors count the
  // PostgreSQL reads the cache did not save.
  const cacheTtlSeconds = config.friendCache?.ttlSeconds ?? 0;
  const friendCache =
    cacheTtlSeconds > 0 && builtGraph !== undefined
      ? (overrides.friendCache ??
        (redis && config.friendCache && builders.friendCache
          ? builders.friendCache({ redis, friendCache: config.friendCache }, deps)
          : undefined))
      : undefined;
  const graph =
    friendCache === undefined
      ? measuredGraph
      : withFriendCache(measuredGraph, {
          cache: friendCache,
          ttlSeconds: cacheTtlSeconds,
          logger,
        });
  const notifier =
    builtNotifier === undefined ? undefined : instrumentNotifier(builtNotifier, tracing);
  const service = builders.service?.({
    store,
    graph,
    notifier: notifier ?? {
      send: absent('@connections notifier (WEBSOCKET_CALLBACK_URL)'),
      close: absent('@connections notifier (WEBSOCKET_CALLBACK_URL)'),
    },
    ...(overrides.clock === undefined
      ? // Deadlines are compared with the store's own clock: only a real clock can carry them.
        builtStore === undefined || overrides.store !== undefined
        ? {}
        : { storeTimeoutMs: STORE_WRITE_DEADLINE_MS }
      : { clock: overrides.clock }),
    ...(presence === undefined ? {} : serviceOptionsOf(presence)),
    ...(config.sweep === undefined
      ? {}
      : {
          sweepBatchSize: config.sweep.batchSize,
          sweepAnnounceAfter: config.sweep.announceAfter,
        }),
    ...(builtActivityLog === undefined ? {} : { activityLog: builtActivityLog }),
    // The handlers write one info line per invocation with the same counts plus latency; the
    // service's own info lines would double them, so they go to debug.
    logger: demoteInfo(logger),
  });
  const verifier = instrumentVerifier(
    builtVerifier ?? { verify: absent('token verifier (AUTH_* variables)') },
    tracing,
  );
  let closed: Promise<void> | undefined;
  return {
    config,
    verifier,
    logger,
    observer: createObserver(logger, metrics, tracing),
    rest: {
      allowedOrigins: config.cors?.allowedOrigins ?? [],
      userIdClaim: identity?.userIdClaim ?? 'cognito:username',
    },
    ...(notifier === undefined ? {} : { notifier }),
    ...(service === undefined ? {} : { service }),
    clock: overrides.clock ?? systemClock,
    close() {
      closed ??= Promise.all([
        overrides.store === undefined ? store.close?.() : undefined,
        overrides.graph === undefined ? measuredGraph.close?.() : undefined,
        overrides.friendCache === undefined ? friendCache?.close?.() : undefined,
        overrides.activityLog === undefined ? builtActivityLog?.close?.() : undefined,
      ]).then(() => undefined);
      return closed;
    },
  };
}

/** The service options the `presence` group sets. */
function serviceOptionsOf(presence: PresenceConfig['presence']): Partial<PresenceServiceOptions> {
  return {
    timeoutMs: presence.timeoutSeconds * 1000,
    maxConnectionsPerUser: presence.maxConnectionsPerUser,
    frameRefreshMs: presence.frameRefreshSeconds * 1000,
    lastSeenGranularityMs: presence.lastSeenGranularitySeconds * 1000,
    ...(presence.frameRateLimit === undefined ? {} : { frameRateLimit: presence.frameRateLimit }),
  };
}

function demoteInfo(logger: Logger): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.debug(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
}

/** The `@connections` notifier of a function's configuration. */
export function gatewayNotifier(
  config: Pick<PresenceConfig, 'gateway' | 'aws'>,
  deps: BuildDependencies,
): ConnectionNotifier {
  return createApiGatewayNotifier({
    endpoint: config.gateway.callbackUrl,
    ...(config.aws.region === undefined ? {} : { region: config.aws.region }),
    transport: config.gateway.transport,
    logger: deps.logger,
  });
}

/** The token verifier of a function's configuration. */
export function jwtVerifier(config: Pick<PresenceConfig, 'identity'>): TokenVerifier {
  return createTokenVerifier(config.identity);
}
