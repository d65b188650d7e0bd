/**
 * What failed: `unauthorized` / `forbidden` (the server refused the token twice, the second time
 * a fresh one: the client has stopped), `token` (the token function threw or returned no string),
 * `network` (`GET /presence` could not be reached), `server` (an error frame, or a REST answer
 * that is not 2xx or not the expected JSON).
 */
export type PresenceClientErrorCode = 'unauthorized' | 'forbidden' | 'token' | 'network' | 'server';

/** Options of {@link PresenceClientError}. */
export interface PresenceClientErrorOptions {
  /** HTTP status of the REST answer, when there was one. */
  readonly status?: number;
  /** `code` of the server's error frame (`invalid_frame`, ...). */
  readonly serverCode?: string;
  readonly cause?: unknown;
}

/** The error of every `error` event and of a rejected `refresh()`. */
export class PresenceClientError extends Error {
  /** What failed; stable, for code to branch on. */
  readonly code: PresenceClientErrorCode;
  /** HTTP status of the REST answer, when there was one. */
  readonly status: number | undefined;
  /** `code` of the server's error frame, for `server` errors from the WebSocket. */
  readonly serverCode: string | undefined;

  constructor(
    code: PresenceClientErrorCode,
    message: string,
    options: PresenceClientErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PresenceClientError';
    this.code = code;
    this.status = options.status;
    this.serverCode = options.serverCode;
  }
}
