import { type ConnectionRef, errorFrame, httpStatusOf, UnauthorizedError } from '@presence/core';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type ParsedWebSocketEvent, parseWebSocketEvent, type WebSocketEvent } from './events.js';
import { errorBodyOf } from './http.js';
import { invoke, type Step } from './invocation.js';
import { type PresenceRuntime, type RuntimeSource, serviceOf } from './runtime.js';

/** A WebSocket route handler: API Gateway's event in, a status out. */
export type WebSocketHandler = (
  event: WebSocketEvent,
  context?: Context,
) => Promise<APIGatewayProxyResultV2>;

/**
 * A WebSocket route. A refused call (4xx) with `replyErrors` posts a JSON error frame back to the
 * connection; an outage (5xx) posts nothing. The status is API Gateway's only (no route response).
 */
function webSocketRoute(
  source: RuntimeSource,
  op: string,
  run: (runtime: PresenceRuntime, event: ParsedWebSocketEvent) => Promise<Step>,
  replyErrors: boolean,
): WebSocketHandler {
  return invoke<WebSocketEvent, APIGatewayProxyResultV2>(
    source,
    op,
    async (runtime, event, caller) => {
      const parsed = parseWebSocketEvent(event);
      caller.connectionId = parsed.connectionId;
      caller.userId = parsed.userId;
      caller.requestId = parsed.requestId;
      const step = await run(runtime, parsed);
      return { result: { statusCode: step.status ?? 200 }, step };
    },
    async (runtime, error, _event, caller) => {
      const status = httpStatusOf(error);
      if (replyErrors && status < 500 && caller.connectionId !== undefined) {
        const body = errorBodyOf(error);
        await runtime.notifier
          ?.send([caller.connectionId], errorFrame(body.code, body.message))
          .catch(() => undefined);
      }
      return { statusCode: status };
    },
  );
}

function refOf(event: ParsedWebSocketEvent): ConnectionRef {
  if (event.userId === undefined) {
    throw new UnauthorizedError(
      'no user in the authorizer context (is the $connect authorizer set?)',
    );
  }
  return { userId: event.userId, connectionId: event.connectionId };
}

/** `$connect`: registers the connection for `requestContext.authorizer.userId`; 401 without it. Never posts to the connection. */
export function createConnectHandler(source: RuntimeSource): WebSocketHandler {
  return webSocketRoute(
    source,
    'connect',
    async (runtime, event) => {
      const result = await serviceOf(runtime).connect(refOf(event));
      runtime.observer?.record({ kind: 'connect', result });
      return {};
    },
    false,
  );
}

/**
 * A frame route (`heartbeat`, `update-presence`, `$default`): the core frame parser decides; a
 * rejected frame gets a JSON error frame and status 200. A heartbeat's line is at debug: it is the
 * most frequent invocation and says nothing Lambda's REPORT line does not.
 */
export function createFrameHandler(source: RuntimeSource, op: string): WebSocketHandler {
  return webSocketRoute(
    source,
    op,
    async (runtime, event) => {
      const outcome = await serviceOf(runtime).handleFrame(refOf(event), event.body);
      runtime.observer?.record({ kind: 'frame', outcome });
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
}

/** `$disconnect`: removes the connection; the user's last one tells online friends. */
export function createDisconnectHandler(source: RuntimeSource): WebSocketHandler {
  return webSocketRoute(
    source,
    'disconnect',
    async (runtime, event) => {
      const result = await serviceOf(runtime).disconnect(event.connectionId);
      runtime.observer?.record({ kind: 'disconnect', result });
      return {
        fields: {
          known: result.userId !== undefined,
          userOffline: result.userOffline,
          notified: result.notified,
        },
      };
    },
    false,
  );
}
