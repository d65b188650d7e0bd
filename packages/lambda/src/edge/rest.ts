import { NotFoundError, UnauthorizedError } from '@presence/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ParsedRestEvent, parseRestEvent, type RestEvent } from './events.js';
import { corsHeaders, errorResponse, headerOf, json, PREFLIGHT_HEADERS } from './http.js';
import { invoke, type Step } from './invocation.js';
import { type PresenceRuntime, type RuntimeSource, serviceOf } from './runtime.js';

/** A REST route handler: a REST API (v1) or HTTP API (v2) event in, the same response out of both. */
export type RestHandler = (event: RestEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * A REST route: the OPTIONS preflight, the caller's identity, CORS on every answer. The response
 * shape is the same for both front doors (payload format 2.0 takes `{statusCode, headers, body}`).
 */
function restRoute(
  source: RuntimeSource,
  op: string,
  run: (
    runtime: PresenceRuntime,
    event: ParsedRestEvent,
    callerId: string,
    cors: Record<string, string>,
  ) => Promise<{ response: APIGatewayProxyResult; fields?: Record<string, unknown> }>,
): RestHandler {
  const corsOf = (runtime: PresenceRuntime, event: RestEvent) =>
    corsHeaders(runtime.rest.allowedOrigins, headerOf(readHeaders(event), 'origin'));
  return invoke<RestEvent, APIGatewayProxyResult>(
    source,
    op,
    async (runtime, event, caller) => {
      const cors = corsOf(runtime, event);
      const parsed = parseRestEvent(event);
      caller.requestId = parsed.requestId;
      if (parsed.method === 'OPTIONS') {
        const response = { statusCode: 204, headers: { ...cors, ...PREFLIGHT_HEADERS }, body: '' };
        return { result: response, step: { status: 204, level: 'debug' } satisfies Step };
      }
      const callerId = await callerOf(runtime, parsed);
      caller.userId = callerId;
      const { response, fields } = await run(runtime, parsed, callerId, cors);
      return { result: response, step: { status: response.statusCode, fields } };
    },
    async (runtime, error, event) => errorResponse(error, corsOf(runtime, event)),
  );
}

function readHeaders(event: unknown): Record<string, string | undefined> | undefined {
  const headers = (event as { headers?: unknown } | null)?.headers;
  return typeof headers === 'object' && headers !== null
    ? (headers as Record<string, string | undefined>)
    : undefined;
}

/** The REST caller: a gateway authorizer's claims, a Lambda authorizer's `userId`, else the `Authorization` header verified here. */
async function callerOf(runtime: PresenceRuntime, event: ParsedRestEvent): Promise<string> {
  const claimName = runtime.rest.userIdClaim;
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

/** `GET /presence`: the caller's and friends' presence (PROTOCOL.md body). */
export function createGetPresenceHandler(source: RuntimeSource): RestHandler {
  return restRoute(source, 'get-presence', async (runtime, _event, callerId, cors) => {
    const body = await serviceOf(runtime).getPresence(callerId);
    return {
      response: json(200, body, cors),
      fields: {
        friends: body.presenceArr.length,
        online: body.presenceArr.filter((p) => p.page !== null).length,
      },
    };
  });
}

/** `GET /presence/{userId}`: `{url,title}`, an empty body when offline, 403 for a stranger. */
export function createGetUserPresenceHandler(source: RuntimeSource): RestHandler {
  return restRoute(source, 'get-user-presence', async (runtime, event, callerId, cors) => {
    const target = event.pathParameters.userId;
    if (target === undefined || target === '') throw new NotFoundError('no user id in the path');
    const page = await serviceOf(runtime).getUserPresence(callerId, target);
    return {
      response:
        page === null
          ? { statusCode: 200, headers: { ...cors, 'Cache-Control': 'no-store' }, body: '' }
          : json(200, { url: page.url, title: page.title }, cors),
      fields: { self: target === callerId, online: page !== null },
    };
  });
}
