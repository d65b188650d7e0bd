import { GraphUnavailableError, PresenceError } from '@presence/core';

// SQLSTATE codes worth a name in the message; the full driver error stays in `cause`.
const SQLSTATE_NAMES: Readonly<Record<string, string>> = {
  '57014': 'statement timeout or cancel',
  '57P01': 'server shutting down',
  '57P02': 'crash shutdown',
  '57P03': 'server starting up',
  '53300': 'too many connections',
  '28000': 'authentication rejected',
  '28P01': 'authentication rejected',
  '42P01': 'table missing',
  '42703': 'column missing',
  '42501': 'permission denied',
};

/** A short, data-free description of a driver error: its SQLSTATE or errno code, never its text. */
export function describeDriverError(error: unknown): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error
      ? String((error as { code: unknown }).code)
      : undefined;
  if (code === undefined) {
    // pg reports timeouts and closed sockets as plain Errors; their messages are fixed strings.
    const message = error instanceof Error ? error.message : '';
    if (/timeout/i.test(message)) return 'timeout';
    if (/terminated|closed|ended|not queryable/i.test(message)) return 'connection closed';
    return 'driver error';
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const name = SQLSTATE_NAMES[code];
    if (name !== undefined) return `${code} ${name}`;
    if (code.startsWith('08')) return `${code} connection failure`;
    return `SQLSTATE ${code}`;
  }
  return code;
}

/**
 * Translates anything pg threw into a {@link GraphUnavailableError} keeping it as `cause`; presence
 * errors (already translated) pass through. The message names the operation and the error code
 * only: pg messages may quote parameter values (user ids).
 */
export function toGraphUnavailable(operation: string, error: unknown): PresenceError {
  if (PresenceError.isInstance(error)) return error;
  return new GraphUnavailableError(
    `PostgreSQL friend graph failed in ${operation} (${describeDriverError(error)})`,
    { cause: error },
  );
}
