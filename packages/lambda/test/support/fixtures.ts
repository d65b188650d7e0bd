import { readFileSync } from 'node:fs';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
  ScheduledEvent,
} from 'aws-lambda';
import type { WebSocketEvent } from '../../src/index.js';

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as T;

/** A WebSocket route event from a fixture, for one user and connection. */
export function webSocketEvent(
  fixture:
    | 'websocket-connect'
    | 'websocket-heartbeat'
    | 'websocket-update-presence'
    | 'websocket-default'
    | 'websocket-disconnect',
  options: { userId?: string | null; connectionId: string; body?: string },
): WebSocketEvent {
  const event = read<WebSocketEvent>(fixture);
  event.requestContext.connectionId = options.connectionId;
  if (options.userId === null) delete event.requestContext.authorizer;
  else if (options.userId !== undefined) {
    event.requestContext.authorizer = {
      ...event.requestContext.authorizer,
      principalId: options.userId,
      userId: options.userId,
    };
  }
  if (options.body !== undefined) event.body = options.body;
  return event;
}

/** An update-presence frame event. */
export function updateEvent(
  userId: string,
  connectionId: string,
  url: string,
  title: string,
): WebSocketEvent {
  return webSocketEvent('websocket-update-presence', {
    userId,
    connectionId,
    body: JSON.stringify({ action: 'update-presence', url, title }),
  });
}

/** The `$connect` authorizer event with `?Authorization=` set (or removed when `undefined`). */
export function authorizerEvent(token: string | undefined): APIGatewayRequestAuthorizerEvent {
  const event = read<
    APIGatewayRequestAuthorizerEvent & {
      multiValueQueryStringParameters: Record<string, string[]> | null;
    }
  >('websocket-authorizer-request');
  if (token === undefined) {
    event.queryStringParameters = {};
    event.multiValueQueryStringParameters = {};
  } else {
    event.queryStringParameters = { Authorization: token };
    event.multiValueQueryStringParameters = { Authorization: [token] };
  }
  return event;
}

/** A REST v1 proxy event: with API Gateway's Cognito authorizer claims for `cognitoUser`, or without an authorizer. */
export function restEvent(
  fixture:
    | 'rest-get-presence-cognito'
    | 'rest-get-user-presence-cognito'
    | 'rest-get-presence-no-authorizer'
    | 'rest-options-presence',
  options: {
    cognitoUser?: string;
    target?: string | null;
    headers?: Record<string, string | undefined>;
  } = {},
): APIGatewayProxyEvent {
  const event = read<APIGatewayProxyEvent>(fixture);
  if (options.cognitoUser !== undefined) {
    (event.requestContext.authorizer as { claims: Record<string, string> }).claims[
      'cognito:username'
    ] = options.cognitoUser;
  }
  if (options.target !== undefined) {
    event.pathParameters = options.target === null ? null : { userId: options.target };
    event.path = `/presence/${options.target ?? ''}`;
  }
  if (options.headers !== undefined) {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...event.headers, ...options.headers })) {
      if (value !== undefined) headers[key] = value;
    }
    event.headers = headers;
    event.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  }
  return event;
}

/**
 * An HTTP API (v2, payload format 2.0) event: `GET /presence` with the token in the lowercase
 * `authorization` header (no gateway authorizer), or `GET /presence/{userId}` behind the JWT
 * authorizer with `cognitoUser` in its claims.
 */
export function httpApiEvent(
  fixture: 'http-api-get-presence' | 'http-api-get-user-presence-jwt',
  options: {
    token?: string;
    cognitoUser?: string;
    target?: string;
    headers?: Record<string, string | undefined>;
  } = {},
): APIGatewayProxyEventV2 {
  const event = read<
    APIGatewayProxyEventV2 & {
      requestContext: { authorizer?: { jwt: { claims: Record<string, string> } } };
    }
  >(fixture);
  if (options.token !== undefined) event.headers.authorization = options.token;
  if (options.cognitoUser !== undefined && event.requestContext.authorizer) {
    event.requestContext.authorizer.jwt.claims['cognito:username'] = options.cognitoUser;
  }
  if (options.target !== undefined) event.pathParameters = { userId: options.target };
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete event.headers[key];
    else event.headers[key] = value;
  }
  return event;
}

/** The EventBridge scheduled event that triggers the timeout sweep. */
export function scheduledEvent(): ScheduledEvent {
  return read<ScheduledEvent>('eventbridge-scheduled');
}

/** A Lambda context whose remaining time is `remainingMs()`. */
export function lambdaContext(remainingMs: () => number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'PresenceStack-PresenceApiTimeoutFunction-AbCdEf123456',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:us-east-1:123456789012:function:PresenceStack-PresenceApiTimeoutFunction-AbCdEf123456',
    memoryLimitInMB: '256',
    awsRequestId: '0f9e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c',
    logGroupName: '/aws/lambda/PresenceStack-PresenceApiTimeoutFunction-AbCdEf123456',
    logStreamName: '2025/11/28/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
