import { InvalidInputError } from './errors.js';

/** Input limits. Exceeding any of them is an {@link InvalidInputError} (or an invalid frame). */
export interface PresenceLimits {
  /** Longest user id, in characters. @default 128 */
  readonly maxUserIdLength: number;
  /** Longest connection id, in characters. @default 128 */
  readonly maxConnectionIdLength: number;
  /** Longest URL, in characters. @default 2048 */
  readonly maxUrlLength: number;
  /** Longest title, in characters. @default 512 */
  readonly maxTitleLength: number;
  /** Largest WebSocket frame, in UTF-8 bytes. @default 8192 */
  readonly maxFrameBytes: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: PresenceLimits = Object.freeze({
  maxUserIdLength: 128,
  maxConnectionIdLength: 128,
  maxUrlLength: 2048,
  maxTitleLength: 512,
  maxFrameBytes: 8192,
});

// Control characters, whitespace and the separators our key layouts and routes rely on.
const FORBIDDEN_ID_CHARS = /[\u0000-\u0020\u007f-\u009f\u2028\u2029/\\]/u;
const CONNECTION_ID = /^[A-Za-z0-9+/=_.:-]+$/;

/**
 * Checks a user id: 1 to `maxUserIdLength` characters, no whitespace, control characters, `/` or `\`.
 * Quotes, braces and any other Unicode are allowed (Cognito usernames and federated ids vary).
 * @throws InvalidInputError naming the field
 */
export function assertUserId(value: unknown, field = 'userId', limits = DEFAULT_LIMITS): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError(`${field} must be a non-empty string`);
  }
  if (value.length > limits.maxUserIdLength) {
    throw new InvalidInputError(`${field} is longer than ${limits.maxUserIdLength} characters`);
  }
  if (FORBIDDEN_ID_CHARS.test(value) || !value.isWellFormed()) {
    throw new InvalidInputError(`${field} contains whitespace, control characters, "/" or "\\"`);
  }
  return value;
}

/**
 * Checks a connection id (API Gateway ids look like `L0SM9cOFvHcCIhw=`): 1 to
 * `maxConnectionIdLength` characters of `A-Z a-z 0-9 + / = _ . : -`.
 * @throws InvalidInputError
 */
export function assertConnectionId(value: unknown, limits = DEFAULT_LIMITS): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError('connectionId must be a non-empty string');
  }
  if (value.length > limits.maxConnectionIdLength || !CONNECTION_ID.test(value)) {
    throw new InvalidInputError(
      `connectionId must be 1-${limits.maxConnectionIdLength} characters of A-Z a-z 0-9 + / = _ . : -`,
    );
  }
  return value;
}
