/**
 * How one `@connections` request for one connection ended, after the transport's retry:
 * `delivered` (2xx), `gone` (410: the client left), `throttled` (429), `rejected` (another 4xx:
 * the request or the permissions are wrong) or `unreachable` (a network error, a timeout or a 5xx:
 * the gateway itself failed).
 */
export type GatewayOutcome = 'delivered' | 'gone' | 'throttled' | 'rejected' | 'unreachable';

/** The outcome of an HTTP status (`undefined`: no response at all). */
export function outcomeOfStatus(status: number | undefined): GatewayOutcome {
  if (status === undefined || status >= 500) return 'unreachable';
  if (status === 410) return 'gone';
  if (status === 429) return 'throttled';
  return status >= 200 && status < 300 ? 'delivered' : 'rejected';
}

/**
 * One way of calling API Gateway's `@connections` API for one connection. A transport retries on
 * its own and resolves to an outcome. It never rejects; the notifier counts a rejection as
 * `unreachable`.
 */
export interface GatewayTransport {
  /** `PostToConnection`: `POST {stage}/@connections/{id}` with `data` as the body. */
  post(connectionId: string, data: Uint8Array): Promise<GatewayOutcome>;
  /** `DeleteConnection`: `DELETE {stage}/@connections/{id}`. */
  delete(connectionId: string): Promise<GatewayOutcome>;
}

/** Longest wait for a new socket to connect, in both transports. */
export const GATEWAY_CONNECT_TIMEOUT_MS = 2000;
/** Longest one attempt may take, in both transports. */
export const GATEWAY_REQUEST_TIMEOUT_MS = 5000;
/** Attempts per request: one retry on a network error, a timeout, 429 or 5xx. */
export const GATEWAY_MAX_ATTEMPTS = 2;

/** `abc.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export function regionOf(endpoint: string): string | undefined {
  try {
    return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname)?.[1];
  } catch {
    return undefined;
  }
}
