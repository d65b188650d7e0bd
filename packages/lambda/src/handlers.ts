import { performance } from 'node:perf_hooks';
import {
  type Clock,
  type ConnectionRef,
  errorFrame,
  httpStatusOf,
  NotFoundError,
  PresenceError,
  type SweepReport,
  UnauthorizedError,
} from '@presence/core';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
  ScheduledEvent,
} from 'aws-lambda';
import {
  type ParsedRestEvent,
  type ParsedWebSocketEvent,
  parseAuthorizerEvent,
  parseRestEvent,
  parseWebSocketEvent,
  type WebSocketEvent,
} from './events.js';
import {
  corsHeaders,
  errorBodyOf,
  errorResponse,
  headerOf,
  json,
  PREFLIGHT_HEADERS,
} from './http.js';
import type { PresenceRuntime } from './runtime.js';

/** The eight Lambda entry points: the `$connect` authorizer and the seven presence handlers. */
export interface PresenceHandlers {
  /** WebSocket `$connect` REQUEST authorizer: `?Authorization=<jwt>` → Allow with context `{ userId }`; a bad or missing token throws `Unauthorized` (API Gateway answers 401). */
  authorizer(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult>;
  /** `$connect`: registers the connection for `requestContext.authorizer.userId`; 401 without it. Never posts to the connection. */
  connect(event: WebSocketEvent): Promise<APIGatewayProxyResultV2>;
  /** `heartbeat` route: refreshes last-seen; a rejected frame is answered with a JSON error frame. */
  heartbeat(event: WebSocketEvent): Promise<APIGatewayProxyResultV2>;
  /** `update-presence` route: stores and broadcasts the page; a rejected frame is answered with a JSON error frame. */
  updatePresence(event: WebSocketEvent): Promise<APIGatewayProxyResultV2>;
  /** `$disconnect`: removes the connection; the user's last one tells online friends. */
  disconnect(event: WebSocketEvent): Promise<APIGatewayProxyResultV2>;
  /** `$default`: unknown action or malformed JSON → a JSON error frame to the client. */
  default(event: WebSocketEvent): Promise<APIGatewayProxyResultV2>;
  /** EventBridge schedule: sweeps in batches until the invocation's remaining time minus a safety margin. */
  timeout(event: ScheduledEvent, context: Context): Promise<SweepReport>;
  /** `GET /presence`: the caller's and friends' presence (PROTOCOL.md body). */
  getPresence(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  /** `GET /presence/{userId}`: `{url,title}`, an empty body when offline, 403 for a stranger. */
  getUserPresence(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
}

/** A runtime, or a function building it once on first invocation (so a bad config fails that invocation). */
export type RuntimeSource = PresenceRuntime | (() => Promise<PresenceRuntime>);

/**
 * Time the timeout handler leaves unused at the end of its invocation: 20% of the remaining time,
 * at least 1 s and at most 10 s. A batch started before the deadline still has to finish.
 */
export function sweepSafetyMarginMs(remainingMs: number): number {
  return Math.min(10_000, Math.max(1_000, Math.floor(remainingMs * 0.2)));
}

/** Remaining time assumed when the timeout handler gets no Lambda context (a manual call). */
const DEFAULT_REMAINING_MS = 60_000;

const systemClock: Clock = { now: () => Date.now() };

interface WebSocketStep {
  readonly status?: number;
  readonly fields?: Record<string, unknown>;
  /** Level of the invocation's line. @default 'info' */
  readonly level?: 'debug' | 'info';
}

interface RestStep {
  readonly response: APIGatewayProxyResult;
  readonly fields?: Record<string, unknown>;
}

/**
 * The handlers over a runtime. Each is one expression over the service; this function holds the
 * shared edge: event parsing, the caller's identity, error mapping, CORS and one log line per call.
 * @example export const handler = createHandlers(runtime).getPresence;
 */
export function createHandlers(source: RuntimeSource): PresenceHandlers {
  const runtimeOf = resolver(source);

  /** A WebSocket route; `replyErrors` posts a JSON error frame for a refused call. */
  const webSocket =
    (
      op: string,
      run: (runtime: PresenceRuntime, event: ParsedWebSocketEvent) => Promise<WebSocketStep>,
      replyErrors: boolean,
    ) =>
    async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
      const runtime = await runtimeOf();
      const started = performance.now();
      let parsed: ParsedWebSocketEvent | undefined;
      try {
        parsed = parseWebSocketEvent(event);
        const step = await run(runtime, parsed);
        const status = step.status ?? 200;
        // A heartbeat is the most frequent invocation and says nothing the Lambda REPORT line does
        // not: its line is at debug (a re-registration or a failure still logs at info / error).
        const fields = {
          op,
          userId: parsed.userId,
          requestId: parsed.requestId,
          status,
          latencyMs: since(started),
          ...step.fields,
        };
        if (step.level === 'debug') runtime.logger.debug(fields, op);
        else runtime.logger.info(fields, op);
        return { statusCode: status };
      } catch (error) {
        const status = httpStatusOf(error);
        logFailure(runtime, op, parsed?.userId, parsed?.requestId, status, started, error);
        if (replyErrors && status < 500 && parsed !== undefined) {
          const body = errorBodyOf(error);
          await runtime.notifier
            ?.send([parsed.connectionId], errorFrame(body.code, body.message))
            .catch(() => undefined);
        }
        return { statusCode: status };
      }
    };

  /** A WebSocket frame route: the core frame parser decides; a rejected frame gets an error frame, status 200. */
  const frameRoute = (op: string) =>
    webSocket(
      op,
      async (runtime, event) => {
        const outcome = await runtime.service.handleFrame(refOf(event), event.body);
        if (outcome.action === 'rejected') {
          await runtime.notifier?.send([event.connectionId], outcome.reply).catch(() => undefined);
          return { fields: { action: 'rejected', code: outcome.reply.code } };
        }
        return outcome.action === 'heartbeat'
          ? { fields: { action: 'heartbeat' }, level: 'debug' }
          : {
              fields: {
                action: 'update-presence',
                shared: outcome.result.shared,
                recipients: outcome.result.recipients,
                gone: outcome.result.gone,
              },
            };
      },
      true,
    );

  /** A REST route: OPTIONS preflight, the caller's identity, CORS on every answer. */
  const rest =
    (
      op: string,
      run: (
        runtime: PresenceRuntime,
        event: ParsedRestEvent,
        callerId: string,
        headers: Record<string, string>,
      ) => Promise<RestStep>,
    ) =>
    async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
      const runtime = await runtimeOf();
      const started = performance.now();
      const cors = corsHeaders(
        runtime.config.corsAllowedOrigins,
        headerOf(event?.headers, 'origin'),
      );
      let callerId: string | undefined;
      let requestId: string | undefined;
      try {
        const parsed = parseRestEvent(event);
        requestId = parsed.requestId;
        if (parsed.method === 'OPTIONS') {
          return { statusCode: 204, headers: { ...cors, ...PREFLIGHT_HEADERS }, body: '' };
        }
        callerId = await callerOf(runtime, parsed);
        const step = await run(runtime, parsed, callerId, cors);
        runtime.logger.info(
          {
            op,
            userId: callerId,
            requestId,
            status: step.response.statusCode,
            latencyMs: since(started),
            ...step.fields,
          },
          op,
        );
        return step.response;
      } catch (error) {
        logFailure(runtime, op, callerId, requestId, httpStatusOf(error), started, error);
        return errorResponse(error, cors);
      }
    };

  return {
    async authorizer(event) {
      const runtime = await runtimeOf();
      const started = performance.now();
      try {
        const { methodArn, token, requestId } = parseAuthorizerEvent(event);
        const { userId } = await runtime.verifier.verify(token ?? '');
        runtime.logger.info(
          { op: 'authorize', userId, requestId, allowed: true, latencyMs: since(started) },
          'authorize',
        );
        return {
          principalId: userId,
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
          },
          context: { userId },
        };
      } catch (error) {
        logFailure(runtime, 'authorize', undefined, undefined, httpStatusOf(error), started, error);
        // The one error text API Gateway turns into 401; anything else would be a 500.
        throw new Error('Unauthorized');
      }
    },

    connect: webSocket(
      'connect',
      async (runtime, event) => {
        await runtime.service.connect(refOf(event));
        return {};
      },
      false,
    ),

    heartbeat: frameRoute('heartbeat'),
    updatePresence: frameRoute('update-presence'),
    default: frameRoute('default'),

    disconnect: webSocket(
      'disconnect',
      async (runtime, event) => {
        const result = await runtime.service.disconnect(event.connectionId);
        return {
          fields: {
            known: result.userId !== undefined,
            userOffline: result.userOffline,
            notified: result.notified,
          },
        };
      },
      false,
    ),

    async timeout(_event, context) {
      const runtime = await runtimeOf();
      const started = performance.now();
      const clock = runtime.clock ?? systemClock;
      const remainingMs = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
      const deadline = clock.now() + remainingMs - sweepSafetyMarginMs(remainingMs);
      try {
        const report = await runtime.service.sweep({ deadline });
        runtime.logger.info(
          { op: 'timeout', ...report, remainingMs, latencyMs: since(started) },
          'timeout sweep',
        );
        return report;
      } catch (error) {
        logFailure(runtime, 'timeout', undefined, undefined, httpStatusOf(error), started, error);
        throw error; // the schedule's retry and the Errors metric should see it
      }
    },

    getPresence: rest('get-presence', async (runtime, _event, callerId, cors) => {
      const body = await runtime.service.getPresence(callerId);
      return {
        response: json(200, body, cors),
        fields: {
          friends: body.presenceArr.length,
          online: body.presenceArr.filter((p) => p.page !== null).length,
        },
      };
    }),

    getUserPresence: rest('get-user-presence', async (runtime, event, callerId, cors) => {
      const target = event.pathParameters.userId;
      if (target === undefined || target === '') throw new NotFoundError('no user id in the path');
      const page = await runtime.service.getUserPresence(callerId, target);
      return {
        response:
          page === null
            ? { statusCode: 200, headers: { ...cors, 'Cache-Control': 'no-store' }, body: '' }
            : json(200, { url: page.url, title: page.title }, cors),
        fields: { self: target === callerId, online: page !== null },
      };
    }),
  };
}

function resolver(source: RuntimeSource): () => Promise<PresenceRuntime> {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let pending: Promise<PresenceRuntime> | undefined;
  return () => {
    if (pending === undefined) {
      pending = source();
      // A failed build (bad config) fails this invocation; the next one tries again.
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

function refOf(event: ParsedWebSocketEvent): ConnectionRef {
  if (event.userId === undefined) {
    throw new UnauthorizedError(
      'no user in the authorizer context (is the $connect authorizer set?)',
    );
  }
  return { userId: event.userId, connectionId: event.connectionId };
}

/** The REST caller: API Gateway's Cognito authorizer claims, a Lambda authorizer's `userId`, else the `Authorization` header verified here. */
async function callerOf(runtime: PresenceRuntime, event: ParsedRestEvent): Promise<string> {
  const claimName = runtime.config.auth.userIdClaim;
  if (event.claims !== undefined) {
    const claim = event.claims[claimName];
    if (typeof claim !== 'string' || claim === '') {
      throw new UnauthorizedError(`authorizer claims have no ${claimName}`);
    }
    return claim;
  }
  if (event.authorizerUserId !== undefined) return event.authorizerUserId;
  const header = headerOf(event.headers, 'authorization');
  if (header === undefined || header.trim() === '') {
    throw new UnauthorizedError('Authorization header is missing');
  }
  return (await runtime.verifier.verify(header)).userId;
}

function since(started: number): number {
  return Math.round(performance.now() - started);
}

function logFailure(
  runtime: PresenceRuntime,
  op: string,
  userId: string | undefined,
  requestId: string | undefined,
  status: number,
  started: number,
  error: unknown,
): void {
  const code = PresenceError.isInstance(error) ? error.code : 'internal';
  const fields = { op, userId, requestId, status, code, latencyMs: since(started) };
  if (status >= 500) runtime.logger.error({ ...fields, error }, `${op} failed`);
  else
    runtime.logger.info(
      { ...fields, reason: PresenceError.isInstance(error) ? error.message : undefined },
      `${op} refused`,
    );
}
