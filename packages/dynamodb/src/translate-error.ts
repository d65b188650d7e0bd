import { ActivityUnavailableError, ConfigError, PresenceError } from '@presence/core';
import { ACTIVITY_TABLE } from './table.js';

// Error names worth a word in the message; the SDK error itself stays in `cause`.
const NAMES: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'table missing',
  ProvisionedThroughputExceededException: 'throttled',
  ThrottlingException: 'throttled',
  RequestLimitExceeded: 'throttled',
  InternalServerError: 'DynamoDB internal error',
  ServiceUnavailable: 'DynamoDB unavailable',
  AccessDeniedException: 'access denied',
  UnrecognizedClientException: 'credentials rejected',
  TimeoutError: 'timeout',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
};

/** A short, data-free description of an SDK error: its name or errno code, never its message. */
export function describeSdkError(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : (code ?? 'error');
  const status = e.$metadata?.httpStatusCode;
  const known = NAMES[name] ?? (code === undefined ? undefined : NAMES[code]);
  return [name, known, typeof status === 'number' ? `HTTP ${status}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
}

/**
 * Translates anything the SDK threw into a core error, keeping it as `cause`; presence errors pass
 * through. The adapter checks every input before it sends, so DynamoDB's `ValidationException`
 * means the table does not have the layout of {@link ACTIVITY_TABLE} (a deployment fault):
 * `ConfigError` (HTTP 500). Everything else (throttling, timeouts, refused connections, a missing
 * table, denied access) is `ActivityUnavailableError` (HTTP 503). Messages name the operation and the
 * error name only: SDK messages can quote keys (user ids).
 */
export function toActivityError(operation: string, error: unknown): PresenceError {
  if (PresenceError.isInstance(error)) return error;
  const what = describeSdkError(error);
  if ((error as { name?: unknown } | null)?.name === 'ValidationException') {
    const { partitionKey, sortKey } = ACTIVITY_TABLE;
    return new ConfigError(
      `DynamoDB refused ${operation} (${what}): the table must have the key schema ` +
        `${partitionKey.name} (S, HASH), ${sortKey.name} (S, RANGE)`,
      { cause: error },
    );
  }
  return new ActivityUnavailableError(`DynamoDB activity log failed in ${operation} (${what})`, {
    cause: error,
  });
}
