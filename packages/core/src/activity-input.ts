import {
  ACTIVITY_TYPES,
  type ActivityAppend,
  type ActivityEntry,
  type ActivityListOptions,
  type ActivityType,
  DEFAULT_ACTIVITY_PAGE_LIMIT,
  MAX_ACTIVITY_PAGE_LIMIT,
} from './activity-log.js';
import { registrableDomain } from './domain.js';
import { InvalidInputError } from './errors.js';
import { assertUserId, DEFAULT_LIMITS, type PresenceLimits } from './limits.js';
import type { PageView } from './model.js';

// Building blocks every ActivityLog adapter shares, so that ids, cursors and input rules are the
// same on every backend (and an adapter is mostly its storage calls).

/** An append that passed {@link parseActivityAppend}: the entry to store, without its id yet. */
export type ActivityRecord =
  | {
      readonly userId: string;
      readonly at: number;
      readonly type: 'update-presence';
      readonly page: PageView;
    }
  | { readonly userId: string; readonly at: number; readonly type: 'online' | 'offline' };

/** {@link ActivityListOptions} after {@link parseActivityListOptions}. */
export interface ParsedActivityListOptions {
  readonly limit: number;
  /** Only entries with an id strictly below this one (the cursor's position); absent: from the newest. */
  readonly beforeId: string | undefined;
}

/** Makes the id of an entry appended at `at`; see {@link createActivityIdFactory}. */
export type ActivityIdFactory = (at: number) => string;

const AT_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 decimal digits
const ID = /^\d{16}-[0-9a-f]{16}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,96}$/;
const CURSOR_PREFIX = 'a1:';

function padAt(at: number): string {
  return String(at).padStart(AT_DIGITS, '0');
}

/**
 * Returns an id factory for one log instance. An id is `<at, 16 digits>-<instance, 8 hex><counter,
 * 8 hex>`: ids sort like their entries (by `at`, then by append order within the instance), and two
 * entries of one millisecond never collide (the counter within an instance, 32 random bits across
 * instances). Ids stay under 40 ASCII characters, well inside a DynamoDB sort key.
 */
export function createActivityIdFactory(): ActivityIdFactory {
  const instance = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  const prefix = instance.toString(16).padStart(8, '0');
  let counter = 0;
  return (at) => {
    counter = (counter + 1) >>> 0;
    return `${padAt(at)}-${prefix}${counter.toString(16).padStart(8, '0')}`;
  };
}

/**
 * The smallest id an entry listed at `now` can have: entries with `id >= activityIdFloor(...)` are
 * exactly those with `now < at + retentionMs` (see the retention rule of {@link ActivityLog}).
 */
export function activityIdFloor(now: number, retentionMs: number): string {
  return padAt(Math.max(0, Math.floor(now - retentionMs) + 1));
}

/** True for a string shaped like an id from {@link createActivityIdFactory}. */
export function isActivityId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** FNV-1a (32 bits) of an ASCII string, as 8 hex digits: a cursor's checksum against typos and truncation. */
function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The opaque cursor that continues a listing after the entry with this id. It carries a checksum,
 * so that a cut or altered cursor is refused rather than read as another position; it is not a
 * secret (a forged one can only name a position in the caller's own history).
 */
export function encodeActivityCursor(id: string): string {
  const text = `${CURSOR_PREFIX}${id}.${checksum(id)}`;
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * The id a cursor from {@link encodeActivityCursor} continues after.
 * @throws InvalidInputError for anything this package did not issue (never echoing it)
 */
export function decodeActivityCursor(cursor: unknown): string {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) {
    throw new InvalidInputError('cursor is not a cursor this activity log issued');
  }
  let text: string;
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    throw new InvalidInputError('cursor is not a cursor this activity log issued');
  }
  const id = text.slice(CURSOR_PREFIX.length, text.lastIndexOf('.'));
  if (!text.startsWith(CURSOR_PREFIX) || !ID.test(id) || encodeActivityCursor(id) !== cursor) {
    throw new InvalidInputError('cursor is not a cursor this activity log issued');
  }
  return id;
}

function assertText(value: unknown, field: string, max: number, nonEmpty: boolean): string {
  if (typeof value !== 'string') throw new InvalidInputError(`${field} must be a string`);
  if (nonEmpty && value === '') {
    throw new InvalidInputError(`${field} is empty: hidden pages are not recorded`);
  }
  if (value.length > max) throw new InvalidInputError(`${field} is longer than ${max} characters`);
  if (!value.isWellFormed()) throw new InvalidInputError(`${field} contains a lone surrogate`);
  return value;
}

/**
 * Checks an append against the {@link ActivityLog} input rules and computes the page's domain.
 * @throws InvalidInputError naming the field (never echoing a URL or title)
 */
export function parseActivityAppend(
  entry: ActivityAppend,
  limits: PresenceLimits = DEFAULT_LIMITS,
): ActivityRecord {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidInputError('activity entry must be an object');
  }
  const userId = assertUserId(entry.userId, 'userId', limits);
  const { at, type } = entry as { at: unknown; type: unknown };
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) {
    throw new InvalidInputError('at must be a non-negative integer number of milliseconds');
  }
  if (!ACTIVITY_TYPES.includes(type as ActivityType)) {
    throw new InvalidInputError(`type must be one of ${ACTIVITY_TYPES.join(', ')}`);
  }
  if (type !== 'update-presence') return { userId, at, type: type as 'online' | 'offline' };
  const page = (entry as { page?: unknown }).page as { url?: unknown; title?: unknown } | undefined;
  if (typeof page !== 'object' || page === null) {
    throw new InvalidInputError('an update-presence entry needs a page');
  }
  const url = assertText(page.url, 'page.url', limits.maxUrlLength, true);
  const title = assertText(page.title, 'page.title', limits.maxTitleLength, false);
  return { userId, at, type, page: { url, title, domain: registrableDomain(url) } };
}

/**
 * Checks the options of {@link ActivityLog.list}.
 * @throws InvalidInputError for a `limit` outside 1 to `MAX_ACTIVITY_PAGE_LIMIT` or a bad cursor
 */
export function parseActivityListOptions(
  options: ActivityListOptions = {},
): ParsedActivityListOptions {
  const limit = options.limit ?? DEFAULT_ACTIVITY_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACTIVITY_PAGE_LIMIT) {
    throw new InvalidInputError(
      `limit must be an integer from 1 to ${MAX_ACTIVITY_PAGE_LIMIT}, got ${String(limit)}`,
    );
  }
  const beforeId = options.cursor === undefined ? undefined : decodeActivityCursor(options.cursor);
  return { limit, beforeId };
}

/** The entry a stored record becomes once it has its id. */
export function toActivityEntry(id: string, record: ActivityRecord): ActivityEntry {
  return record.type === 'update-presence'
    ? { id, at: record.at, type: record.type, page: record.page }
    : { id, at: record.at, type: record.type };
}
