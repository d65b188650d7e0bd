/** Stable machine-readable codes of every {@link PresenceError}. */
export type PresenceErrorCode =
  | 'invalid_input'
  | 'invalid_frame'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'too_many_friends'
  | 'rate_limited'
  | 'store_unavailable'
  | 'graph_unavailable'
  | 'notifier_unavailable'
  | 'identity_unavailable'
  | 'activity_unavailable'
  | 'invalid_config';

const marker = Symbol.for('@presence/core/error');

/** Options every presence error accepts. */
export interface PresenceErrorOptions {
  /** The underlying error (a driver error, a zod issue list), kept for logs, never sent to clients. */
  cause?: unknown;
}

/**
 * Base class of every error the presence packages throw on purpose.
 * `code` is stable and maps to an HTTP status through {@link httpStatusOf}; `message` names the bad
 * value but never echoes personal data (URLs, titles, tokens).
 */
export class PresenceError extends Error {
  readonly code: PresenceErrorCode;

  constructor(code: PresenceErrorCode, message: string, options: PresenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PresenceError';
    this.code = code;
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for a presence error, even one thrown by another copy of this package. */
  static isInstance(error: unknown): error is PresenceError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true &&
      typeof (error as { code?: unknown }).code === 'string'
    );
  }
}

function subclass<C extends PresenceErrorCode>(code: C, name: string) {
  const Sub = class extends PresenceError {
    declare readonly code: C;
    constructor(message: string, options: PresenceErrorOptions = {}) {
      super(code, message, options);
      this.name = name;
    }
    /** True for an error of this kind, even one thrown by another copy of this package. */
    static override isInstance(error: unknown): error is PresenceError & { code: C } {
      return PresenceError.isInstance(error) && error.code === code;
    }
  };
  Object.defineProperty(Sub, 'name', { value: name });
  return Sub;
}

/** A value from a caller (id, url, title, event field) breaks a rule; nothing was changed. HTTP 400. */
export class InvalidInputError extends subclass('invalid_input', 'InvalidInputError') {}
/** A WebSocket frame is not JSON, too large, has an unknown action or misses a field. Answered with an error frame. */
export class InvalidFrameError extends subclass('invalid_frame', 'InvalidFrameError') {}
/** The token is missing, malformed, expired or from the wrong issuer or client. HTTP 401. */
export class UnauthorizedError extends subclass('unauthorized', 'UnauthorizedError') {}
/** The caller may not see what it asked for (a stranger's presence). HTTP 403. */
export class ForbiddenError extends subclass('forbidden', 'ForbiddenError') {}
/** The route or resource does not exist. HTTP 404. */
export class NotFoundError extends subclass('not_found', 'NotFoundError') {}
/**
 * The caller has more friends than the service's `maxFriends`: `GET /presence` would exceed what
 * the runtime can answer (Lambda caps a response at 6 MB). HTTP 413; nothing was read from the store.
 */
export class TooManyFriendsError extends subclass('too_many_friends', 'TooManyFriendsError') {}
/**
 * A connection sent frames faster than its token bucket allows (the service's `frameRateLimit`); the
 * frame was refused and changed nothing. HTTP 429; on a WebSocket, a JSON error frame.
 */
export class RateLimitedError extends subclass('rate_limited', 'RateLimitedError') {}
/** The presence store (Redis) could not be reached or failed; no partial state was left. HTTP 503. */
export class StoreUnavailableError extends subclass('store_unavailable', 'StoreUnavailableError') {}
/** The friend graph (PostgreSQL) could not be reached or failed. HTTP 503. */
export class GraphUnavailableError extends subclass('graph_unavailable', 'GraphUnavailableError') {}
/** The connection gateway (API Gateway `@connections`) failed as a whole. HTTP 503. */
export class NotifierUnavailableError extends subclass(
  'notifier_unavailable',
  'NotifierUnavailableError',
) {}
/** The identity provider's keys (JWKS) could not be fetched, so no token can be checked. HTTP 503. */
export class IdentityUnavailableError extends subclass(
  'identity_unavailable',
  'IdentityUnavailableError',
) {}
/** The activity log (DynamoDB) could not be reached or failed. HTTP 503. */
export class ActivityUnavailableError extends subclass(
  'activity_unavailable',
  'ActivityUnavailableError',
) {}
/** Configuration (environment, options, schema names) is missing or malformed. Fails at start-up. */
export class ConfigError extends subclass('invalid_config', 'ConfigError') {}

/** The one table from error code to HTTP status that every runtime uses. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<PresenceErrorCode, number>> = Object.freeze({
  invalid_input: 400,
  invalid_frame: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_many_friends: 413,
  rate_limited: 429,
  store_unavailable: 503,
  graph_unavailable: 503,
  notifier_unavailable: 503,
  identity_unavailable: 503,
  activity_unavailable: 503,
  invalid_config: 500,
});

/** HTTP status for any thrown value: the table for presence errors, 500 for anything else. */
export function httpStatusOf(error: unknown): number {
  return PresenceError.isInstance(error) ? HTTP_STATUS_BY_CODE[error.code] : 500;
}

/** True when the error means a backend outage (maps to 503 and is worth a retry). */
export function isUnavailable(error: unknown): boolean {
  return httpStatusOf(error) === 503;
}
