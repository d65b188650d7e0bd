import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionNotifier, Logger, NotifyReport, ServerFrame } from '@presence/core';

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
  /** A client you built (credentials, retries); `endpoint` and `region` are then not used. @default - one with keep-alive sockets */
  readonly client?: ApiGatewayManagementApiClient;
  /** Receives a `warn` with counts (never ids) when sends fail. @default - no logging */
  readonly logger?: Logger;
}

const DEFAULT_CONCURRENCY = 64;

/**
 * A {@link ConnectionNotifier} over API Gateway's `@connections` API: `PostToConnection` for frames,
 * `DeleteConnection` to close stale sockets, with bounded concurrency on keep-alive sockets.
 * `GoneException` (HTTP 410) reports the connection `gone`; any other error reports it `failed`.
 * Never throws for a bad connection.
 * @example
 * const notifier = createApiGatewayNotifier({ endpoint: process.env.WEBSOCKET_CALLBACK_URL! });
 */
export function createApiGatewayNotifier(options: ApiGatewayNotifierOptions): ConnectionNotifier {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const client =
    options.client ?? createManagementClient(options.endpoint, options.region, concurrency);
  const limit = limiter(concurrency);
  const run = async (
    connectionIds: readonly string[],
    call: (connectionId: string) => Promise<unknown>,
    what: string,
  ): Promise<NotifyReport> => {
    const ids = [...new Set(connectionIds)];
    const delivered: string[] = [];
    const gone: string[] = [];
    const failed: string[] = [];
    await Promise.all(
      ids.map((id) =>
        limit(() => call(id)).then(
          () => delivered.push(id),
          (error: unknown) => (isGone(error) ? gone : failed).push(id),
        ),
      ),
    );
    if (failed.length > 0) {
      options.logger?.warn(
        { op: what, failed: failed.length, total: ids.length },
        'gateway calls failed',
      );
    }
    return { delivered, gone, failed };
  };
  return {
    send(connectionIds, frame: ServerFrame) {
      const data = Buffer.from(JSON.stringify(frame), 'utf8');
      return run(
        connectionIds,
        (ConnectionId) => client.send(new PostToConnectionCommand({ ConnectionId, Data: data })),
        'post-to-connection',
      );
    },
    close(connectionIds) {
      return run(
        connectionIds,
        (ConnectionId) => client.send(new DeleteConnectionCommand({ ConnectionId })),
        'delete-connection',
      );
    },
  };
}

/**
 * Runs at most `max` tasks at once; the others wait in order. Shared by every call of a notifier, so
 * that concurrent sends (one per offline user in a sweep) never queue on the sockets past the
 * SDK's request timeout.
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
  region: string | undefined,
  concurrency: number,
): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: concurrency };
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: region ?? regionOf(endpoint) ?? process.env.AWS_REGION ?? 'us-east-1',
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: 2000,
      requestTimeout: 5000,
      // Without it the SDK only logs a warning at requestTimeout and keeps waiting for the gateway.
      throwOnRequestTimeout: true,
    },
    maxAttempts: 2,
    cacheMiddleware: true,
  });
}

/** `abc.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
function regionOf(endpoint: string): string | undefined {
  try {
    return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname)?.[1];
  } catch {
    return undefined;
  }
}

function isGone(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return e?.name === 'GoneException' || e?.$metadata?.httpStatusCode === 410;
}
