import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  ConfigError,
  type ConnectionNotifier,
  type Logger,
  NotifierUnavailableError,
  type NotifyReport,
  type ServerFrame,
} from '@presence/core';
import {
  GATEWAY_CONNECT_TIMEOUT_MS,
  GATEWAY_MAX_ATTEMPTS,
  GATEWAY_REQUEST_TIMEOUT_MS,
  type GatewayOutcome,
  type GatewayTransport,
  outcomeOfStatus,
  regionOf,
} from './gateway-transport.js';
import {
  createSignedHttpTransport,
  type GatewayCredentialsSource,
} from './signed-http-transport.js';

/** Options of {@link createApiGatewayNotifier}. */
export interface ApiGatewayNotifierOptions {
  /** The `@connections` endpoint: `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  /** AWS region. @default - taken from the endpoint's host, else `AWS_REGION`, else us-east-1 */
  readonly region?: string;
  /**
   * Requests in flight at once, across all calls of this notifier (a sweep sends many at once).
   * High enough that one update reaches 50 friends in one wave of gateway latency.
   * @default 64
   */
  readonly concurrency?: number;
  /**
   * How requests reach the gateway. `'sdk'`: the AWS SDK client, the reference. `'signed-http'`:
   * node:http(s) requests on keep-alive sockets signed with `@smithy/signature-v4` exactly as the
   * SDK signs them (same path, headers, body, timeouts and single retry) for about half the CPU
   * per post; opt-in, see the README.
   * @default 'sdk'
   */
  readonly transport?: 'sdk' | 'signed-http';
  /**
   * Credentials, or a caching provider of them, for the client this notifier builds.
   * @default - the SDK's default chain (Lambda's environment credentials, refreshed before expiry)
   */
  readonly credentials?: GatewayCredentialsSource;
  /**
   * A client you built (credentials, retries); `endpoint`, `region` and `credentials` are then not
   * used. Only with the `'sdk'` transport.
   * @default - one with keep-alive sockets
   */
  readonly client?: ApiGatewayManagementApiClient;
  /** Receives a `warn` with counts (never ids) when sends fail. @default - no logging */
  readonly logger?: Logger;
}

const DEFAULT_CONCURRENCY = 64;

/**
 * A {@link NotifyReport} with the kinds of failure apart (each a subset of `failed`): what the
 * metrics count as gateway throttles and gateway outages.
 */
export interface GatewayReport extends NotifyReport {
  /** Failed with HTTP 429 after the retry: API Gateway throttled the account or the connection. */
  readonly throttled: readonly string[];
  /** Failed with a network error, a timeout or a 5xx after the retry: the gateway itself failed. */
  readonly unreachable: readonly string[];
}

/** A {@link ConnectionNotifier} whose reports tell throttles and outages apart. */
export interface GatewayNotifier extends ConnectionNotifier {
  send(connectionIds: readonly string[], frame: ServerFrame): Promise<GatewayReport>;
  close(connectionIds: readonly string[]): Promise<GatewayReport>;
}

/**
 * A {@link ConnectionNotifier} over API Gateway's `@connections` API: `PostToConnection` for frames,
 * `DeleteConnection` to close stale sockets, with bounded concurrency on keep-alive sockets.
 * `GoneException` (HTTP 410) reports the connection `gone`; a throttle or a refusal reports it
 * `failed`: one bad connection never makes a call throw. A call whose every request failed at the
 * gateway itself (network error, timeout, 5xx, after the retry) throws NotifierUnavailableError:
 * the gateway is down, and the operation answers 503 rather than pretend it told anyone.
 * @example
 * const notifier = createApiGatewayNotifier({ endpoint: process.env.WEBSOCKET_CALLBACK_URL! });
 */
export function createApiGatewayNotifier(options: ApiGatewayNotifierOptions): GatewayNotifier {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const transport = createTransport(options, concurrency);
  const limit = limiter(concurrency);
  const run = async (
    connectionIds: readonly string[],
    call: (connectionId: string) => Promise<GatewayOutcome>,
    what: string,
  ): Promise<GatewayReport> => {
    const ids = [...new Set(connectionIds)];
    const by: Record<GatewayOutcome, string[]> = {
      delivered: [],
      gone: [],
      throttled: [],
      rejected: [],
      unreachable: [],
    };
    await Promise.all(
      ids.map((id) =>
        limit(() => call(id))
          .catch((): GatewayOutcome => 'unreachable')
          .then((outcome) => by[outcome].push(id)),
      ),
    );
    const failed = [...by.throttled, ...by.rejected, ...by.unreachable];
    if (failed.length > 0) {
      options.logger?.warn(
        {
          op: what,
          failed: failed.length,
          throttled: by.throttled.length,
          unreachable: by.unreachable.length,
          total: ids.length,
        },
        'gateway calls failed',
      );
    }
    if (ids.length > 0 && by.unreachable.length === ids.length) {
      throw new NotifierUnavailableError(
        `API Gateway @connections failed for all ${ids.length} ${what} requests`,
      );
    }
    return {
      delivered: by.delivered,
      gone: by.gone,
      failed,
      throttled: by.throttled,
      unreachable: by.unreachable,
    };
  };
  return {
    send(connectionIds, frame: ServerFrame) {
      const data = Buffer.from(JSON.stringify(frame), 'utf8');
      return run(connectionIds, (id) => transport.post(id, data), 'post-to-connection');
    },
    close(connectionIds) {
      return run(connectionIds, (id) => transport.delete(id), 'delete-connection');
    },
  };
}

function createTransport(
  options: ApiGatewayNotifierOptions,
  concurrency: number,
): GatewayTransport {
  const transport = options.transport ?? 'sdk';
  if (transport !== 'sdk' && transport !== 'signed-http') {
    throw new ConfigError(`transport must be 'sdk' or 'signed-http', got "${String(transport)}"`);
  }
  if (transport === 'signed-http' && options.client !== undefined) {
    throw new ConfigError("client is only used by the 'sdk' transport, not by 'signed-http'");
  }
  const region =
    options.region ?? regionOf(options.endpoint) ?? process.env.AWS_REGION ?? 'us-east-1';
  if (transport === 'signed-http') {
    return createSignedHttpTransport({
      endpoint: options.endpoint,
      region,
      maxSockets: concurrency,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
  }
  return sdkTransport(
    options.client ??
      createManagementClient(options.endpoint, region, concurrency, options.credentials),
  );
}

/** The AWS SDK client as a transport: its errors become outcomes. */
function sdkTransport(client: ApiGatewayManagementApiClient): GatewayTransport {
  const outcome = (sent: Promise<unknown>): Promise<GatewayOutcome> =>
    sent.then(
      () => 'delivered',
      (error: unknown) => outcomeOfStatus(statusOf(error)),
    );
  return {
    post: (ConnectionId, Data) =>
      outcome(client.send(new PostToConnectionCommand({ ConnectionId, Data }))),
    delete: (ConnectionId) => outcome(client.send(new DeleteConnectionCommand({ ConnectionId }))),
  };
}

/**
 * Runs at most `max` tasks at once; the others wait in order. Shared by every call of a notifier, so
 * that concurrent sends (one per offline user in a sweep) never queue on the sockets past the
 * transport's request timeout.
 */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active < max) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = waiting.shift();
      if (next === undefined) active -= 1;
      else next();
    }
  };
}

/** A management API client on keep-alive sockets, sized for `concurrency` requests in flight. */
function createManagementClient(
  endpoint: string,
  region: string,
  concurrency: number,
  credentials: GatewayCredentialsSource | undefined,
): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: concurrency };
  return new ApiGatewayManagementApiClient({
    endpoint,
    region,
    ...(credentials === undefined ? {} : { credentials }),
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: GATEWAY_CONNECT_TIMEOUT_MS,
      requestTimeout: GATEWAY_REQUEST_TIMEOUT_MS,
      // Without it the SDK only logs a warning at requestTimeout and keeps waiting for the gateway.
      throwOnRequestTimeout: true,
    },
    maxAttempts: GATEWAY_MAX_ATTEMPTS,
    cacheMiddleware: true,
  });
}

/** The HTTP status of an SDK error; `undefined` for a network error or a timeout. */
function statusOf(error: unknown): number | undefined {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  if (e?.name === 'GoneException') return 410;
  const status = e?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
