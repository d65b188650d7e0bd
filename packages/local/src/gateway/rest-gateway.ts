import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@presence/core';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from 'aws-lambda';
import { allows, describe, flattenContext } from './edge-responses.js';
import {
  type GatewayIdentity,
  type RestRoute,
  requestFactsOf,
  restAuthorizerEvent,
  restEvent,
} from './events.js';
import type { GatewayHandlers } from './handlers.js';

/** Options of {@link createRestGateway}. */
export interface RestGatewayOptions {
  readonly api: () => GatewayIdentity;
  readonly handlers: () => Promise<GatewayHandlers>;
  readonly logger: Logger;
  /** Origins answered in CORS headers; `*` allows any. */
  readonly corsOrigins: () => readonly string[];
  /**
   * Run the Lambda REQUEST authorizer on the `Authorization` header before the handlers, as the
   * PresenceApi construct configures. Off: the handlers verify the header themselves (their
   * fallback when `requestContext.authorizer` is empty). @default false
   */
  readonly restAuthorizer?: boolean;
}

type RestHandlerName = 'getPresence' | 'getUserPresence' | 'getActivity' | 'deleteActivity';

interface MatchedRoute {
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  readonly handler: RestHandlerName;
  /** The handler of each method of the resource (`handler` is the GET one). */
  readonly methods?: Readonly<Partial<Record<string, RestHandlerName>>>;
}

/** Matches `/presence`, `/presence/{userId}` and `/activity`, with or without a leading stage segment. */
export function matchRestRoute(path: string, stage: string): MatchedRoute | undefined {
  const local = path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : path;
  if (local === '/presence' || local === '/presence/') {
    return { resource: '/presence', pathParameters: null, handler: 'getPresence' };
  }
  if (local === '/activity' || local === '/activity/') {
    return {
      resource: '/activity',
      pathParameters: null,
      handler: 'getActivity',
      methods: { GET: 'getActivity', DELETE: 'deleteActivity' },
    };
  }
  const match = /^\/presence\/([^/]+)\/?$/.exec(local);
  if (match === null) return undefined;
  let userId: string;
  try {
    userId = decodeURIComponent(match[1] as string);
  } catch {
    userId = match[1] as string;
  }
  return {
    resource: '/presence/{userId}',
    pathParameters: { userId },
    handler: 'getUserPresence',
  };
}

/** The CORS headers for `origin`, empty when it is not allowed. */
export function corsHeaders(
  origin: string | undefined,
  allowed: readonly string[],
): Record<string, string> {
  if (origin === undefined) return {};
  if (!allowed.includes('*') && !allowed.includes(origin)) return {};
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

type Handled = boolean;

/**
 * The REST half of API Gateway for `GET /presence`, `GET /presence/{userId}` and `GET`/`DELETE
 * /activity`: the CORS
 * preflight (a mock `OPTIONS`), the Lambda REQUEST authorizer on the `Authorization` header, then
 * the Lambda proxy integration with REST v1 events; gateway errors carry CORS headers as the
 * construct's gateway responses do. Anything else under `/presence` answers API Gateway's
 * `403 Missing Authentication Token`. Resolves false when the path is not a REST route.
 */
export function createRestGateway(options: RestGatewayOptions) {
  return async function handleRest(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<Handled> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const api = options.api();
    const matched = matchRestRoute(url.pathname, api.stage);
    if (matched === undefined) return false;
    const cors = corsHeaders(request.headers.origin, options.corsOrigins());
    const fail = (status: number, body: object) =>
      send(response, status, { 'Content-Type': 'application/json', ...cors }, JSON.stringify(body));

    if (request.method === 'OPTIONS') {
      const preflight: Record<string, string> =
        cors['Access-Control-Allow-Origin'] === undefined
          ? {}
          : {
              'Access-Control-Allow-Methods': [
                ...Object.keys(matched.methods ?? { GET: 1 }),
                'OPTIONS',
              ].join(','),
              'Access-Control-Allow-Headers': 'Authorization,Content-Type',
              'Access-Control-Max-Age': '3600',
            };
      send(response, 204, { ...cors, ...preflight }, '');
      return true;
    }
    const method = request.method ?? 'GET';
    const handlerName = (matched.methods ?? { GET: matched.handler })[method];
    if (handlerName === undefined) {
      fail(403, { message: 'Missing Authentication Token' });
      return true;
    }
    const facts = requestFactsOf(request);
    const route: RestRoute = {
      method,
      resource: matched.resource,
      path: url.pathname,
      pathParameters: matched.pathParameters,
      query: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null,
    };
    // The identity source is required: API Gateway answers 401 without invoking the authorizer.
    if (!request.headers.authorization) {
      fail(401, { message: 'Unauthorized' });
      return true;
    }
    const handlers = await options.handlers();
    let context: Record<string, string> | null = null;
    if (options.restAuthorizer === true) {
      let policy: APIGatewayAuthorizerResult;
      try {
        policy = await handlers.authorizer(restAuthorizerEvent(api, facts, route, Date.now()));
      } catch (error) {
        if (error instanceof Error && error.message === 'Unauthorized') {
          fail(401, { message: 'Unauthorized' });
        } else {
          options.logger.warn({ op: 'rest-authorizer', err: describe(error) }, 'authorizer failed');
          fail(503, { message: 'Service Unavailable' });
        }
        return true;
      }
      if (!allows(policy)) {
        fail(403, {
          Message: 'User is not authorized to access this resource with an explicit deny',
        });
        return true;
      }
      context = flattenContext(policy);
    }
    const event = restEvent(api, facts, route, context, Date.now());
    let result: APIGatewayProxyResult;
    try {
      result = await handlers[handlerName](event);
      if (typeof result?.statusCode !== 'number') {
        throw new TypeError('malformed Lambda proxy response');
      }
    } catch (error) {
      options.logger.warn(
        { op: 'rest', resource: matched.resource, err: describe(error) },
        'REST handler failed',
      );
      // What API Gateway answers for a failed Lambda proxy integration.
      fail(502, { message: 'Internal server error' });
      return true;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      headers[name] = values.map(String);
    }
    const has = (name: string) =>
      Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase());
    if (!has('content-type')) headers['Content-Type'] = 'application/json';
    const body = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : (result.body ?? '');
    send(response, result.statusCode, headers, body);
    return true;
  };
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  response.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
