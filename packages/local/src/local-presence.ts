import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ActivityLog,
  type Clock,
  ConfigError,
  type FriendGraph,
  type FriendGraphSeed,
  type Logger,
  MemoryActivityLog,
  MemoryFriendCache,
  MemoryFriendGraph,
  MemoryPresenceStore,
  type PresenceStore,
  type SweepReport,
} from '@presence/core';
import {
  createHandlers,
  createLogger,
  createRuntime,
  FRIENDSHIP_CHANGED,
  type GraphChangeEvent,
  type PresenceConfig,
  type PresenceEnv,
  type PresenceHandlers,
  type PresenceRuntime,
  parseConfig,
  SHARING_SETTINGS_CHANGED,
} from '@presence/lambda';
import { type GraphChangeListener, listenForGraphChanges } from '@presence/postgres';
import { createDevEndpoints } from './dev-endpoints.js';
import { createConnectionsEndpoint } from './gateway/connections-endpoint.js';
import { describe } from './gateway/edge-responses.js';
import { type GatewayIdentity, lambdaContext, scheduledEvent } from './gateway/events.js';
import type { GatewayHandlers } from './gateway/handlers.js';
import { createLocalNotifier, type LocalNotifier } from './gateway/local-notifier.js';
import { createRestGateway } from './gateway/rest-gateway.js';
import { WebSocketGateway } from './gateway/websocket-gateway.js';
import { createLocalIssuer, type IssueTokenOptions, type LocalIssuer } from './issuer.js';
import { demoSeed } from './seed.js';
import { serveDemoFile } from './static-files.js';

/** Hosts the local runtime may bind: loopback only, since `@connections` and `/dev/token` are open. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** Origins allowed by CORS besides the server's own: the web client's dev server. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://localhost:4200'];

/** Options of {@link startLocalPresence}. */
export interface LocalPresenceOptions {
  /** TCP port; `0` picks a free one. @default 3000 */
  readonly port?: number;
  /** Loopback address to bind (127.0.0.1, localhost or ::1). @default '127.0.0.1' */
  readonly host?: string;
  /** Seconds without heartbeat or update before a user is offline. @default 180 */
  readonly timeoutSeconds?: number;
  /** Seconds between runs of the `timeout` handler; `0` disables the timer (use `sweepNow`). @default timeoutSeconds / 3 */
  readonly sweepIntervalSeconds?: number;
  /** Redis URL: use `RedisPresenceStore` instead of the in-memory store. @default - in memory (or `env.REDIS_URL`) */
  readonly redisUrl?: string;
  /** PostgreSQL URL: use `PostgresFriendGraph` instead of the seeded in-memory graph. @default - in memory (or `env.DATABASE_URL`) */
  readonly databaseUrl?: string;
  /**
   * More handler environment variables (`REDIS_KEY_PREFIX`, `DB_SCHEMA`, `REDIS_CLUSTER`, `LOG_LEVEL`,
   * `PRESENCE_SWEEP_BATCH_SIZE`, ...), as the Lambda functions would read them. Auth and callback
   * variables are always the local server's. @default {}
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The in-memory graph's data and the demo page's user list. @default the demo seed (`demo/seed.json`) */
  readonly seed?: FriendGraphSeed;
  /** A store instead of the in-memory or Redis one (tests, embedding). */
  readonly store?: PresenceStore;
  /** A friend graph instead of the in-memory or PostgreSQL one (tests, embedding). */
  readonly graph?: FriendGraph;
  /** Time source of the presence service and the in-memory store: a driven clock in tests. @default the system clock */
  readonly clock?: Clock;
  /** Origins allowed by CORS on the REST routes, besides the server's own. @default {@link DEFAULT_CORS_ORIGINS} */
  readonly corsOrigins?: readonly string[];
  /** Where the token signing key lives; `false` keeps an ephemeral key in memory. @default false */
  readonly keyFile?: string | false;
  /**
   * Serve `GET /dev/token/{userId}` (a token for any user id) and `GET /dev/users` (the demo page
   * needs them), to requests with a loopback `Host` header only. Off by default as soon as the
   * graph is not the seeded in-memory one (`databaseUrl` or `graph` given): a token for any id of
   * a real database is a token for a real user.
   * @default true with the in-memory demo graph, else false
   */
  readonly devEndpoints?: boolean;
  /**
   * How the handlers' frames reach the sockets. `'inproc'`: written straight to this server's own
   * sockets (a development server needs no HTTP hop to itself). `'http'`: through this server's
   * `@connections` endpoint with the handlers' real notifier (the AWS SDK client, or the
   * signed-HTTP transport with `GATEWAY_TRANSPORT=signed-http`), as on AWS.
   * @default 'inproc'
   */
  readonly delivery?: 'inproc' | 'http';
  /**
   * Put the REQUEST authorizer in front of the REST routes, as the PresenceApi construct does.
   * Off by default: the `authorizer` handler of `@presence/lambda` reads the token from
   * `?Authorization=` only (the WebSocket identity source), so on REST it refuses every call; with
   * it off, the REST handlers verify the `Authorization` header themselves. @default false
   */
  readonly restAuthorizer?: boolean;
  /** API Gateway closes connections idle for this long. @default 600 */
  readonly idleTimeoutSeconds?: number;
  /**
   * WebSocket handler invocations (`$connect`, routes, `$disconnect`) running at once, like Lambda
   * concurrency; the others wait, in order, in front of the handlers. Every handler shares this
   * process's event loop, pg pool and `@connections` client: left unbounded, an invocation that
   * starts behind hundreds of others times out waiting for them and its frames are lost.
   * @default 8
   */
  readonly maxConcurrentInvocations?: number;
  /**
   * Waiting invocations past which the gateway stops reading WebSocket connections (TCP
   * backpressure) until half have started, with a `warn` log line of counts. Nothing is dropped.
   * @default 2000
   */
  readonly maxQueuedInvocations?: number;
  /** Structured logger of the gateway and the handlers. @default JSON lines on stdout at `env.LOG_LEVEL` or info */
  readonly logger?: Logger;
  /**
   * Seconds a user's friends and sharing settings are served from a friend cache (the store's
   * Redis with `redisUrl`, else in memory) instead of the graph: `PRESENCE_FRIEND_CACHE_SECONDS`,
   * as on Lambda. @default `env.PRESENCE_FRIEND_CACHE_SECONDS`, else 0 (off)
   */
  readonly friendCacheSeconds?: number;
  /**
   * `LISTEN` on the user service's database (`databaseUrl`) for the notifications of
   * `changeTriggersSql` (`@presence/postgres`), and hand each change to the `graph-changed`
   * handler as the user service's EventBridge event would: two ids → `FriendshipChanged`, one →
   * `SharingSettingsChanged`. The friend cache forgets them and the connections concerned are told
   * at once. `true` listens on the default channel (`presence_friend_graph`).
   * @default false
   */
  readonly listenGraphChanges?: boolean | { readonly channel?: string };
  /**
   * Issue 14's activity history, served by `GET`/`DELETE /activity` and recorded by the WebSocket
   * handlers: `true` keeps it in memory (a `MemoryActivityLog` on `clock`, lost on exit), `false`
   * turns it off (`/activity` answers 404), an `ActivityLog` uses that one. With
   * `env.ACTIVITY_TABLE_NAME` set (and `true`), the handlers use that DynamoDB table as on AWS
   * (`ACTIVITY_RETENTION_DAYS`; point the SDK at DynamoDB Local with `AWS_ENDPOINT_URL_DYNAMODB`).
   * @default true
   */
  readonly activityHistory?: boolean | ActivityLog;
  /** Days the in-memory history keeps an entry. @default `env.ACTIVITY_RETENTION_DAYS`, else 30 */
  readonly activityRetentionDays?: number;
}

/** A running local presence API. */
export interface LocalPresence {
  /** `http://host:port`: REST, `@connections`, JWKS, demo page. */
  readonly url: string;
  /** `ws://host:port`: the WebSocket API (append `?Authorization=<jwt>`). */
  readonly wsUrl: string;
  /** The bound port. */
  readonly port: number;
  /** Which store is in use. */
  readonly storeKind: 'memory' | 'redis' | 'custom';
  /** Which friend graph is in use. */
  readonly graphKind: 'memory' | 'postgres' | 'custom';
  /** How frames reach the sockets: in process, or over HTTP `@connections` (`delivery`). */
  readonly delivery: 'inproc' | 'http';
  /** Where the activity history is kept (`activityHistory`), or `'off'`. */
  readonly activityKind: 'memory' | 'dynamodb' | 'custom' | 'off';
  /** Whether `/dev/token` and `/dev/users` answer (`devEndpoints`). */
  readonly devEndpoints: boolean;
  /** How the handlers call `@connections` with `delivery: 'http'` (`GATEWAY_TRANSPORT` in `env`). */
  readonly gatewayTransport: 'sdk' | 'signed-http';
  /** The local token issuer (`iss` = {@link url}). */
  readonly issuer: LocalIssuer;
  /** The runtime hosting the handlers. */
  readonly runtime: PresenceRuntime;
  /** Whether graph changes are read from PostgreSQL `NOTIFY` (`listenGraphChanges`). */
  readonly listeningGraphChanges: boolean;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Signs an ID token for `userId` that the server accepts. */
  issueToken(userId: string, options?: IssueTokenOptions): Promise<string>;
  /**
   * Resolves when every gateway task accepted (queued or running `$connect`, routes, `$disconnect`,
   * a sweep in progress) has finished and every frame posted to `@connections` is written to its socket.
   */
  settle(): Promise<void>;
  /** WebSocket handler invocations running and waiting now. */
  readonly invocations: { readonly running: number; readonly queued: number };
  /** Runs the `timeout` handler now (after any run in progress) and returns its report. */
  sweepNow(): Promise<SweepReport>;
  /**
   * Stops the timer, closes every socket (1001) and waits for their `$disconnect` runs (bounded by
   * 5 s), then closes the runtime: no `$disconnect` meets a closed store. Idempotent.
   */
  close(): Promise<void>;
}

const API_TEMPLATE = {
  accountId: '000000000000',
  region: 'us-east-1',
  apiId: 'local',
  stage: 'local',
};
const TIMEOUT_FUNCTION = 'presence-local-timeout';

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the presence API on one machine: an HTTP server emulating API Gateway (WebSocket routes,
 * REST routes, `@connections`) that hosts the real handlers of `@presence/lambda`, the timeout
 * schedule on a timer, a local token issuer and the demo page.
 * @throws ConfigError for a non-loopback host or an invalid configuration
 * @example
 * const local = await startLocalPresence({ port: 0 });
 * const token = await local.issueToken('alice');
 * const ws = new WebSocket(`${local.wsUrl}?Authorization=${token}`);
 */
export async function startLocalPresence(
  options: LocalPresenceOptions = {},
): Promise<LocalPresence> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new ConfigError(
      `host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}), got "${host}": the @connections and /dev endpoints are unauthenticated`,
    );
  }
  const timeoutSeconds = options.timeoutSeconds ?? 180;
  const sweepIntervalSeconds =
    options.sweepIntervalSeconds ?? Math.max(1, Math.round(timeoutSeconds / 3));
  if (!Number.isFinite(sweepIntervalSeconds) || sweepIntervalSeconds < 0) {
    throw new ConfigError(`sweepIntervalSeconds must be >= 0, got ${sweepIntervalSeconds}`);
  }
  const env = options.env ?? {};
  const redisUrl = options.redisUrl ?? env.REDIS_URL;
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  const seed = options.seed ?? (await demoSeed());
  const listen = options.listenGraphChanges ?? false;
  if (listen !== false && databaseUrl === undefined) {
    throw new ConfigError(
      'listenGraphChanges needs databaseUrl: the changes are read from PostgreSQL NOTIFY',
    );
  }
  const logger = options.logger ?? createLogger({ level: logLevelOf(env.LOG_LEVEL) });

  const activityOption = options.activityHistory ?? true;
  const activityKind: LocalPresence['activityKind'] =
    activityOption === false
      ? 'off'
      : activityOption !== true
        ? 'custom'
        : env.ACTIVITY_TABLE_NAME
          ? 'dynamodb'
          : 'memory';
  const retentionDays =
    options.activityRetentionDays ??
    (env.ACTIVITY_RETENTION_DAYS ? Number(env.ACTIVITY_RETENTION_DAYS) : 30);
  if (!Number.isSafeInteger(retentionDays) || retentionDays < 1) {
    throw new ConfigError(
      `activityRetentionDays must be a whole number >= 1, got ${retentionDays}`,
    );
  }
  const activityLog: ActivityLog | undefined =
    activityKind === 'custom'
      ? (activityOption as ActivityLog)
      : activityKind === 'memory'
        ? new MemoryActivityLog({
            retentionMs: retentionDays * 24 * 60 * 60 * 1000,
            ...(options.clock === undefined ? {} : { clock: options.clock }),
          })
        : undefined;

  let api: GatewayIdentity = { ...API_TEMPLATE, domainName: `${host}:${options.port ?? 3000}` };
  let corsOrigins: readonly string[] = [];
  let resolveHandlers!: (handlers: GatewayHandlers) => void;
  let rejectHandlers!: (error: unknown) => void;
  const handlersReady = new Promise<GatewayHandlers>((resolve, reject) => {
    resolveHandlers = resolve;
    rejectHandlers = reject;
  });
  handlersReady.catch(() => undefined);
  const handlers = () => handlersReady;

  const gateway = new WebSocketGateway({
    api: () => api,
    handlers,
    logger,
    ...(options.idleTimeoutSeconds === undefined
      ? {}
      : { idleTimeoutSeconds: options.idleTimeoutSeconds }),
    ...(options.maxConcurrentInvocations === undefined
      ? {}
      : { maxConcurrentInvocations: options.maxConcurrentInvocations }),
    ...(options.maxQueuedInvocations === undefined
      ? {}
      : { maxQueuedInvocations: options.maxQueuedInvocations }),
  });
  const connections = createConnectionsEndpoint(gateway);
  const rest = createRestGateway({
    api: () => api,
    handlers,
    logger,
    corsOrigins: () => corsOrigins,
    restAuthorizer: options.restAuthorizer ?? false,
  });
  let issuer: LocalIssuer | undefined;
  const delivery = options.delivery ?? 'inproc';
  if (delivery !== 'inproc' && delivery !== 'http') {
    throw new ConfigError(`delivery must be "inproc" or "http", got "${String(delivery)}"`);
  }
  const demoGraph = databaseUrl === undefined && options.graph === undefined;
  const devEndpoints = options.devEndpoints ?? demoGraph;
  const dev = createDevEndpoints(
    {
      enabled: devEndpoints,
      offReason:
        databaseUrl !== undefined
          ? 'a real database is configured'
          : 'a custom friend graph is in use',
      users: seed.users.map((u) => ({
        userId: u.userId,
        firstName: u.firstName,
        lastName: u.lastName,
      })),
      issuer: () => issuer,
    },
    sendJson,
  );

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (await connections(request, response)) return;
    if (await rest(request, response)) return;
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendJson(response, 405, { message: 'Method Not Allowed' });
    if (path === '/.well-known/jwks.json' && issuer !== undefined)
      return sendJson(response, 200, issuer.jwks);
    if (await dev(request, response, path)) return;
    if (await serveDemoFile(path, response)) return;
    sendJson(response, 404, { message: 'Not Found' });
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      logger.error({ op: 'http', err: describe(error) }, 'request failed');
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal server error' });
      else response.destroy();
    });
  });
  server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  const wsUrl = `ws://${urlHost(host)}:${port}`;
  api = { ...API_TEMPLATE, domainName: `${urlHost(host)}:${port}` };
  corsOrigins = [
    ...new Set([
      ...(options.corsOrigins ?? DEFAULT_CORS_ORIGINS),
      url,
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
    ]),
  ];

  let runtime: PresenceRuntime;
  let config: PresenceConfig;
  let presenceHandlers: PresenceHandlers;
  let graphListener: GraphChangeListener | undefined;
  let builtRuntime: PresenceRuntime | undefined;
  let localNotifier: LocalNotifier | undefined;
  try {
    issuer = await createLocalIssuer({ issuer: url, keyFile: options.keyFile ?? false });
    // The handlers' environment, built through the typed contract: a misspelt variable fails to
    // compile. In-memory adapters stand in for Redis and PostgreSQL unless URLs are given.
    const handlerEnv = {
      ...env,
      PRESENCE_TIMEOUT_SECONDS: String(timeoutSeconds),
      REDIS_URL: redisUrl ?? 'redis://127.0.0.1:6379',
      DB_CONNECTION: 'url',
      DATABASE_URL: databaseUrl ?? 'postgres://127.0.0.1:5432/unused',
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: issuer.issuer,
      AUTH_JWKS_URL: `${url}/.well-known/jwks.json`,
      AUTH_AUDIENCE: issuer.clientId,
      AUTH_USER_ID_CLAIM: 'cognito:username',
      WEBSOCKET_CALLBACK_URL: url,
      CORS_ALLOWED_ORIGINS: corsOrigins.join(','),
      // Not a Lambda function: no Embedded Metric Format lines on stdout.
      METRICS: 'off',
      ...(options.friendCacheSeconds === undefined
        ? {}
        : { PRESENCE_FRIEND_CACHE_SECONDS: String(options.friendCacheSeconds) }),
    } satisfies PresenceEnv;
    config = parseConfig({ ...handlerEnv, AWS_REGION: API_TEMPLATE.region });
    localNotifier = createLocalNotifier({
      delivery,
      gatewayTransport: config.gateway.transport,
      url,
      region: API_TEMPLATE.region,
      gateway,
      logger,
    });
    const notifier = localNotifier.notifier;
    const store =
      options.store ??
      (redisUrl === undefined
        ? new MemoryPresenceStore({
            ttlMs: 3 * timeoutSeconds * 1000,
            lastSeenRetentionMs: config.presence.lastSeenDays * 86_400_000,
            ...(options.clock === undefined ? {} : { clock: options.clock }),
          })
        : undefined);
    const graph =
      options.graph ?? (databaseUrl === undefined ? new MemoryFriendGraph(seed) : undefined);
    // Beside the in-memory store the friend cache is in memory too; with Redis it is the store's.
    const friendCache =
      config.friendCache.ttlSeconds > 0 && redisUrl === undefined
        ? new MemoryFriendCache(options.clock === undefined ? {} : { clock: options.clock })
        : undefined;
    runtime = createRuntime(activityKind === 'off' ? { ...config, activity: undefined } : config, {
      ...(activityLog === undefined ? {} : { activityLog }),
      notifier,
      logger,
      ...(store === undefined ? {} : { store }),
      ...(graph === undefined ? {} : { graph }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(friendCache === undefined ? {} : { friendCache }),
    });
    builtRuntime = runtime;
    presenceHandlers = createHandlers(runtime);
    resolveHandlers(presenceHandlers as unknown as GatewayHandlers);
    if (listen !== false && databaseUrl !== undefined) {
      const graphChanged = presenceHandlers.graphChanged;
      graphListener = await listenForGraphChanges({
        connectionString: databaseUrl,
        ...(typeof listen === 'object' && listen.channel !== undefined
          ? { channel: listen.channel }
          : {}),
        logger,
        onChange: async (userIds) => {
          const now = options.clock?.now() ?? Date.now();
          // The trigger sends two ids for a friendship, one for sharing settings.
          const changes = userIds.length === 2 ? [userIds] : userIds.map((id) => [id]);
          for (const change of changes) await graphChanged(graphChangeEvent(change, now));
        },
        onReconnect: () =>
          logger.warn(
            { op: 'graph-listener' },
            'graph changes committed while the listener was away were not announced: friend cache entries may live until their TTL',
          ),
      });
    }
  } catch (error) {
    rejectHandlers(error);
    await graphListener?.close();
    // The runtime connects nothing until used; close what it may have opened all the same.
    await builtRuntime?.close();
    localNotifier?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const ready = await handlersReady;

  let sweeping: Promise<SweepReport> | undefined;
  const sweep = (): Promise<SweepReport> => {
    const lambdaTimeoutMs = Math.min(60_000, Math.max(5000, sweepIntervalSeconds * 1000));
    const run = (sweeping ?? Promise.resolve())
      .catch(() => undefined)
      .then(
        () =>
          ready.timeout(
            scheduledEvent(api, TIMEOUT_FUNCTION, Date.now()),
            lambdaContext(api, TIMEOUT_FUNCTION, lambdaTimeoutMs),
          ) as Promise<SweepReport>,
      );
    sweeping = run;
    void run
      .finally(() => {
        if (sweeping === run) sweeping = undefined;
      })
      .catch(() => undefined);
    return run;
  };
  const timer =
    sweepIntervalSeconds > 0
      ? setInterval(() => {
          // Like EventBridge with no retries: a failed run is logged, the next one sweeps.
          if (sweeping !== undefined) return;
          sweep().catch((error: unknown) =>
            logger.warn({ op: 'sweep', err: describe(error) }, 'timeout handler failed'),
          );
        }, sweepIntervalSeconds * 1000)
      : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  const tokenIssuer = issuer;
  return {
    url,
    wsUrl,
    port,
    storeKind: options.store !== undefined ? 'custom' : redisUrl === undefined ? 'memory' : 'redis',
    graphKind:
      options.graph !== undefined ? 'custom' : databaseUrl === undefined ? 'memory' : 'postgres',
    delivery,
    activityKind,
    devEndpoints,
    gatewayTransport: config.gateway.transport,
    issuer: tokenIssuer,
    runtime,
    listeningGraphChanges: graphListener !== undefined,
    get connections() {
      return gateway.size;
    },
    issueToken: (userId, tokenOptions) => tokenIssuer.issueToken(userId, tokenOptions),
    sweepNow: sweep,
    get invocations() {
      return gateway.invocations;
    },
    async settle() {
      // A sweep posts and closes sockets; their $disconnect runs land in the gateway's tasks.
      await sweeping?.catch(() => undefined);
      await graphListener?.settle();
      await gateway.settle();
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await graphListener?.close();
        await sweeping?.catch(() => undefined);
        await gateway.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await runtime.close();
        localNotifier?.destroy();
      })();
      return closing;
    },
  };
}

/** The EventBridge event the user service would put for one `NOTIFY` of `changeTriggersSql`. */
function graphChangeEvent(userIds: readonly string[], now: number): GraphChangeEvent {
  const [userA, userB] = userIds;
  const friendship = userIds.length === 2;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': friendship ? FRIENDSHIP_CHANGED : SHARING_SETTINGS_CHANGED,
    source: 'presence-local.postgres-notify',
    account: API_TEMPLATE.accountId,
    time: new Date(now).toISOString(),
    region: API_TEMPLATE.region,
    resources: [],
    detail: friendship ? { userA, userB } : { userId: userA },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

function logLevelOf(value: string | undefined): 'debug' | 'info' | 'warn' | 'error' {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}
