import { InvalidInputError } from '@presence/core';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { z } from 'zod';
import { stripBearer } from './token-verifier.js';

/**
 * A WebSocket route event as API Gateway sends it after the `$connect` REQUEST authorizer:
 * `requestContext.authorizer` carries the authorizer's context (`userId`) on every route.
 */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: { userId?: string; principalId?: string; [key: string]: unknown } | null;
  };
};

const webSocketEventSchema = z.object({
  requestContext: z.object({
    connectionId: z.string().min(1),
    routeKey: z.string().optional(),
    requestId: z.string().optional(),
    authorizer: z.object({ userId: z.unknown().optional() }).loose().nullish(),
  }),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
});

/** What the handlers read from a WebSocket event. */
export interface ParsedWebSocketEvent {
  readonly connectionId: string;
  /** From the authorizer context; `undefined` when API Gateway passed none. */
  readonly userId: string | undefined;
  readonly requestId: string | undefined;
  /** The frame text, base64-decoded when API Gateway encoded it. */
  readonly body: string;
}

/**
 * Parses a WebSocket route event at the edge.
 * @throws InvalidInputError when it is not an API Gateway WebSocket event
 */
export function parseWebSocketEvent(event: unknown): ParsedWebSocketEvent {
  const parsed = webSocketEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInputError('event is not an API Gateway WebSocket event', {
      cause: parsed.error,
    });
  }
  const { requestContext, body, isBase64Encoded } = parsed.data;
  const userId = requestContext.authorizer?.userId;
  const text = body ?? '';
  return {
    connectionId: requestContext.connectionId,
    userId: typeof userId === 'string' && userId !== '' ? userId : undefined,
    requestId: requestContext.requestId,
    body: isBase64Encoded === true ? Buffer.from(text, 'base64').toString('utf8') : text,
  };
}

const restEventSchema = z.object({
  httpMethod: z.string(),
  headers: z.record(z.string(), z.string().optional()).nullish(),
  pathParameters: z.record(z.string(), z.string().optional()).nullish(),
  requestContext: z
    .object({
      requestId: z.string().optional(),
      authorizer: z
        .object({
          claims: z.record(z.string(), z.unknown()).nullish(),
          userId: z.unknown().optional(),
        })
        .loose()
        .nullish(),
    })
    .loose(),
});

/** What the handlers read from a REST v1 proxy event. */
export interface ParsedRestEvent {
  readonly method: string;
  readonly headers: Record<string, string | undefined>;
  readonly pathParameters: Record<string, string | undefined>;
  readonly requestId: string | undefined;
  /** Claims of API Gateway's Cognito authorizer, when it ran. */
  readonly claims: Record<string, unknown> | undefined;
  /** `userId` of a Lambda authorizer's context, when one ran. */
  readonly authorizerUserId: string | undefined;
}

/**
 * Parses a REST API (v1) Lambda proxy event at the edge.
 * @throws InvalidInputError when it is not one
 */
export function parseRestEvent(event: APIGatewayProxyEvent): ParsedRestEvent {
  const parsed = restEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInputError('event is not an API Gateway REST proxy event', {
      cause: parsed.error,
    });
  }
  const { httpMethod, headers, pathParameters, requestContext } = parsed.data;
  const authorizer = requestContext.authorizer;
  const userId = authorizer?.userId;
  return {
    method: httpMethod.toUpperCase(),
    headers: headers ?? {},
    pathParameters: pathParameters ?? {},
    requestId: requestContext.requestId,
    claims: authorizer?.claims ?? undefined,
    authorizerUserId: typeof userId === 'string' && userId !== '' ? userId : undefined,
  };
}

const authorizerEventSchema = z.object({
  methodArn: z.string().min(1),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  headers: z.record(z.string(), z.string().optional()).nullish(),
  requestContext: z.object({ requestId: z.string().optional() }).loose().nullish(),
});

/** What the authorizer reads from a REQUEST authorizer event. */
export interface ParsedAuthorizerEvent {
  readonly methodArn: string;
  /**
   * `?Authorization=` (PROTOCOL.md: raw JWT, no `Bearer `); when absent, the `Authorization` header
   * (any case, raw or `Bearer `), so the same authorizer can guard REST routes too.
   */
  readonly token: string | undefined;
  readonly requestId: string | undefined;
}

/**
 * Parses a `$connect` REQUEST authorizer event at the edge.
 * @throws InvalidInputError when it is not one
 */
export function parseAuthorizerEvent(
  event: APIGatewayRequestAuthorizerEvent,
): ParsedAuthorizerEvent {
  const parsed = authorizerEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInputError('event is not an API Gateway REQUEST authorizer event', {
      cause: parsed.error,
    });
  }
  const { methodArn, queryStringParameters, headers, requestContext } = parsed.data;
  const header = Object.entries(headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  )?.[1];
  return {
    methodArn,
    token:
      queryStringParameters?.Authorization ??
      (header === undefined ? undefined : stripBearer(header)),
    requestId: requestContext?.requestId,
  };
}
