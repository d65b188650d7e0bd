import { httpStatusOf, PresenceError, type PresenceErrorCode } from '@presence/core';
import type { APIGatewayProxyResult } from 'aws-lambda';

/** Body of every REST error response except the PROTOCOL.md 403. */
export interface ErrorBody {
  readonly code: PresenceErrorCode | 'internal';
  readonly message: string;
}

/** The exact 403 body clients of the earlier deployment compare against. */
export const FORBIDDEN_BODY = 'Forbidden access to user presence';

// Outage messages are fixed: driver messages (hosts, ports, SQL) never reach a client.
const OUTAGE_MESSAGES: Partial<Record<PresenceErrorCode, string>> = {
  store_unavailable: 'The presence store is unavailable, retry later',
  graph_unavailable: 'The friend graph is unavailable, retry later',
  notifier_unavailable: 'The connection gateway is unavailable, retry later',
  activity_unavailable: 'The activity history is unavailable, retry later',
};

/** The client-safe `{code, message}` of any thrown value. */
export function errorBodyOf(error: unknown): ErrorBody {
  if (!PresenceError.isInstance(error) || error.code === 'invalid_config') {
    return { code: 'internal', message: 'Internal error' };
  }
  return { code: error.code, message: OUTAGE_MESSAGES[error.code] ?? error.message };
}

/** Case-insensitive header lookup. */
export function headerOf(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (headers == null) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** CORS headers for a request's `Origin`: echoed when allowed, `Vary: Origin` always. */
export function corsHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (origin !== undefined && (allowed.includes('*') || allowed.includes(origin))) {
    headers['Access-Control-Allow-Origin'] = origin;
  }
  return headers;
}

/** Headers added to a CORS preflight answer. */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
});

/** Headers added to the CORS preflight of `/activity` (it also answers DELETE). */
export const ACTIVITY_PREFLIGHT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...PREFLIGHT_HEADERS,
  'Access-Control-Allow-Methods': 'GET, DELETE, OPTIONS',
});

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string>,
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** The REST answer to a thrown value: the status from `httpStatusOf`, a `{code,message}` body. */
export function errorResponse(
  error: unknown,
  headers: Record<string, string>,
): APIGatewayProxyResult {
  const status = httpStatusOf(error);
  if (status === 403) {
    return {
      statusCode: 403,
      headers: {
        ...headers,
        'Content-Type': 'text/plain; charset=utf-8',
        'Cache-Control': 'no-store',
      },
      body: FORBIDDEN_BODY,
    };
  }
  return json(status, errorBodyOf(error), headers);
}
