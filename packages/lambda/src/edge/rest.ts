import {
  type ActivityEntry,
  InvalidInputError,
  MAX_ACTIVITY_PAGE_LIMIT,
  NotFoundError,
  UnauthorizedError,
} from '@presence/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ParsedRestEvent, parseRestEvent, type RestEvent } from './events.js';
import {
  ACTIVITY_PREFLIGHT_HEADERS,
  corsHeaders,
  errorResponse,
  headerOf,
  json,
  PREFLIGHT_HEADERS,
} from './http.js';
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
  preflight: Readonly<Record<string, string>> = PREFLIGHT_HEADERS,
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
        const response = { statusCode: 204, headers: { ...cors, ...preflight }, body: '' };
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

/** One entry of `GET /activity`: `at` as ISO 8601 UTC (like `lastSeenAt`), the page of a shared page only. */
export type ActivityEntryBody =
  | { readonly id: string; readonly at: string; readonly type: 'online' | 'offline' }
  | {
      readonly id: string;
      readonly at: string;
      readonly type: 'update-presence';
      readonly page: { readonly url: string; readonly title: string; readonly domain: string };
    };

/** The body of `GET /activity`: a page of the caller's history, newest first. */
export interface ActivityResponseBody {
  readonly entries: readonly ActivityEntryBody[];
  /** Pass it back as `?cursor=` for the next (older) page; `null` on the last page. */
  readonly nextCursor: string | null;
}

function entryBody(entry: ActivityEntry): ActivityEntryBody {
  const at = new Date(entry.at).toISOString();
  if (entry.type !== 'update-presence') return { id: entry.id, at, type: entry.type };
  const { url, title, domain } = entry.page;
  return { id: entry.id, at, type: entry.type, page: { url, title, domain } };
}

/** `?limit=`: decimal digits (the service checks the range); empty or absent is the default. */
function limitOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,6}$/.test(value)) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_ACTIVITY_PAGE_LIMIT}`);
  }
  return Number(value);
}

/** `?userId=`: absent or empty is the caller; anyone else is refused by the service (403). */
function targetOf(value: string | undefined): { userId?: string } {
  return value === undefined || value === '' ? {} : { userId: value };
}

/**
 * `GET /activity?cursor=&limit=`: one page of the caller's own history, newest first:
 * `200 {"entries":[{id,at,type,page?}],"nextCursor"}`. A bad `limit` or `cursor` is a 400
 * `invalid_input`, `?userId=` of anyone else a 403, no history configured a 404, DynamoDB down a 503.
 */
export function createGetActivityHandler(source: RuntimeSource): RestHandler {
  return restRoute(
    source,
    'get-activity',
    async (runtime, event, callerId, cors) => {
      const query = event.queryStringParameters;
      const limit = limitOf(query.limit);
      const cursor = query.cursor === undefined || query.cursor === '' ? undefined : query.cursor;
      const page = await serviceOf(runtime).listActivity(callerId, {
        ...targetOf(query.userId),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      const body: ActivityResponseBody = {
        entries: page.entries.map(entryBody),
        nextCursor: page.nextCursor,
      };
      return {
        response: json(200, body, cors),
        fields: { entries: body.entries.length, more: body.nextCursor !== null },
      };
    },
    ACTIVITY_PREFLIGHT_HEADERS,
  );
}

/**
 * `DELETE /activity`: erases the caller's whole history, expired entries included: `204` with an
 * empty body (idempotent: erasing an empty history is a 204 too; after a 503, call it again).
 * `?userId=` of anyone else is a 403, no history configured a 404.
 */
export function createDeleteActivityHandler(source: RuntimeSource): RestHandler {
  return restRoute(
    source,
    'delete-activity',
    async (runtime, event, callerId, cors) => {
      await serviceOf(runtime).eraseActivity(
        callerId,
        targetOf(event.queryStringParameters.userId),
      );
      return {
        response: { statusCode: 204, headers: { ...cors, 'Cache-Control': 'no-store' }, body: '' },
      };
    },
    ACTIVITY_PREFLIGHT_HEADERS,
  );
}
