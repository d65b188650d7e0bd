import { InvalidInputError } from '@presence/core';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import * as z from 'zod';

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

const headersSchema = z.record(z.string(), z.string().optional()).nullish();
const authorizerContextSchema = z
  .object({
    /** API Gateway's Cognito authorizer (REST API). */
    claims: z.record(z.string(), z.unknown()).nullish(),
    /** A Lambda authorizer's context (REST API). */
    userId: z.unknown().optional(),
    /** The HTTP API's JWT authorizer. */
    jwt: z
      .object({ claims: z.record(z.string(), z.unknown()).nullish() })
      .loose()
      .nullish(),
  })
  .loose()
  .nullish();

/** A REST API (v1) proxy event. */
const restV1Schema = z.object({
  httpMethod: z.string(),
  headers: headersSchema,
  pathParameters: headersSchema,
  queryStringParameters: headersSchema,
  requestContext: z
    .object({ requestId: z.string().optional(), authorizer: authorizerContextSchema })
    .loose(),
});

/** An HTTP API (v2) event, payload format 2.0. */
const httpV2Schema = z.object({
  version: z.literal('2.0'),
  headers: headersSchema,
  pathParameters: headersSchema,
  queryStringParameters: headersSchema,
  requestContext: z
    .object({
      http: z.object({ method: z.string() }).loose(),
      requestId: z.string().optional(),
      authorizer: authorizerContextSchema,
    })
    .loose(),
});

/** What the handlers read from a REST API (v1) or HTTP API (v2) event. */
export interface ParsedRestEvent {
  readonly method: string;
  readonly headers: Record<string, string | undefined>;
  readonly pathParameters: Record<string, string | undefined>;
  /** The query string (`?cursor=&limit=`); the last value of a repeated name (REST API v1), joined with `,` (HTTP API v2). */
  readonly queryStringParameters: Record<string, string | undefined>;
  readonly requestId: string | undefined;
  /** Claims of a gateway authorizer (REST Cognito, HTTP API JWT), when one ran. */
  readonly claims: Record<string, unknown> | undefined;
  /** `userId` of a Lambda authorizer's context, when one ran. */
  readonly authorizerUserId: string | undefined;
}

/** A REST route event: REST API (v1) proxy or HTTP API (v2, payload format 2.0). */
export type RestEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/**
 * Parses a REST API (v1) proxy event or an HTTP API (v2) event at the edge: both front doors give
 * the handlers the same fields, so clients get the same answers through either.
 * @throws InvalidInputError when it is neither
 */
export function parseRestEvent(event: RestEvent | unknown): ParsedRestEvent {
  const v2 = httpV2Schema.safeParse(event);
  if (v2.success) return restFields(v2.data.requestContext.http.method, v2.data);
  const v1 = restV1Schema.safeParse(event);
  if (v1.success) return restFields(v1.data.httpMethod, v1.data);
  throw new InvalidInputError('event is not an API Gateway REST or HTTP API event', {
    cause: v1.error,
  });
}

function restFields(
  method: string,
  data: z.infer<typeof restV1Schema> | z.infer<typeof httpV2Schema>,
): ParsedRestEvent {
  const authorizer = data.requestContext.authorizer;
  const userId = authorizer?.userId;
  return {
    method: method.toUpperCase(),
    headers: data.headers ?? {},
    pathParameters: data.pathParameters ?? {},
    queryStringParameters: data.queryStringParameters ?? {},
    requestId: data.requestContext.requestId,
    claims: authorizer?.claims ?? authorizer?.jwt?.claims ?? undefined,
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
    // The verifier accepts a raw JWT or `Bearer <jwt>`.
    token: queryStringParameters?.Authorization ?? header,
    requestId: requestContext?.requestId,
  };
}
