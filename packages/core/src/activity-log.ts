import type { Page, PageView } from './model.js';

/** Kinds of {@link ActivityEntry}: a shared page, or a transition of the user's online state. */
export type ActivityType = 'update-presence' | 'online' | 'offline';

/** The kinds of {@link ActivityEntry}, in a fixed order (for schemas and validation). */
export const ACTIVITY_TYPES: readonly ActivityType[] = Object.freeze([
  'update-presence',
  'online',
  'offline',
]);

/**
 * One entry to append. `at` is the caller's clock in milliseconds since the epoch (for `offline`,
 * the time of the user's last activity, not of the sweep that noticed it).
 *
 * Only **shared** pages are recorded: a hidden page (`url: ""`) is not an entry at all (the append
 * is refused), so the history never says when a user was on a page they chose not to share.
 */
export type ActivityAppend =
  | {
      readonly userId: string;
      readonly at: number;
      readonly type: 'update-presence';
      /** The shared page: a non-empty URL and its title. Its domain is computed by the log. */
      readonly page: Page;
    }
  | {
      readonly userId: string;
      readonly at: number;
      readonly type: 'online' | 'offline';
    };

/** Fields every {@link ActivityEntry} has. */
export interface ActivityEntryBase {
  /**
   * Unique within the user's history, and ordered like the entries: compared as strings, a larger id
   * is a later `at` or, at the same `at`, a later append of the same log instance. Opaque otherwise.
   */
  readonly id: string;
  /** When it happened: the `at` given to {@link ActivityLog.append}, in milliseconds. */
  readonly at: number;
}

/** An entry of a user's activity history, as {@link ActivityLog.list} returns it. */
export type ActivityEntry =
  | (ActivityEntryBase & {
      readonly type: 'update-presence';
      /** The shared page, with its registrable domain (`registrableDomain(url)`). */
      readonly page: PageView;
    })
  | (ActivityEntryBase & { readonly type: 'online' | 'offline' });

/** Options of {@link ActivityLog.list}. */
export interface ActivityListOptions {
  /** `nextCursor` of the previous page; absent for the first (newest) page. */
  readonly cursor?: string;
  /**
   * Most entries on the page: an integer from 1 to {@link MAX_ACTIVITY_PAGE_LIMIT}.
   * @default 50 ({@link DEFAULT_ACTIVITY_PAGE_LIMIT})
   */
  readonly limit?: number;
}

/** One page of a user's history, newest first. */
export interface ActivityPage {
  readonly entries: readonly ActivityEntry[];
  /** Pass it as `cursor` for the next (older) page; `null` when no older unexpired entry exists. */
  readonly nextCursor: string | null;
}

/** Entries per page when `limit` is not given. */
export const DEFAULT_ACTIVITY_PAGE_LIMIT = 50;
/** Largest `limit` {@link ActivityLog.list} accepts. */
export const MAX_ACTIVITY_PAGE_LIMIT = 100;
/** How long entries are kept when an adapter is given no retention: 30 days, in milliseconds. */
export const DEFAULT_ACTIVITY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * A user's activity history: shared pages and online/offline transitions, kept for a retention
 * period, read and erased by the user only (the service checks the caller; the log does not).
 * Off the hot path: the service appends after (or beside) the fan-out and only logs a failure.
 *
 * Contract, for every implementation (held by `describeActivityLog` in `@presence/core/testing`):
 * - **Order.** `list` returns entries newest first by `at`; ties in `at` are ordered by `id`
 *   (descending), which within one log instance is append order, so the later append comes first.
 *   Two entries with the same `at`, even the same content, are two entries: both are kept.
 * - **Idempotency.** Each `append` call adds one new entry with a fresh id, fixed before the first
 *   attempt, so a backend client's own retries of that call never duplicate it. A caller that
 *   retries a failed `append` may duplicate an entry that did land (harmless in a history).
 *   `erase` is idempotent: erasing an empty or unknown history succeeds and changes nothing.
 * - **Cursors.** A cursor is the position after the last entry of a page, not an offset: the next
 *   page holds the entries strictly older than it. Listing page by page therefore returns every
 *   entry that existed when the listing started exactly once (unless it expired or was erased
 *   meanwhile), never repeats one, and stays strictly newest-first across pages. An entry appended
 *   during a listing shows up on a later page only when it sorts after the cursor (a backdated
 *   `offline`); a newer one waits for a new listing. Every page but the last holds exactly `limit`
 *   entries, and `nextCursor` is `null` exactly when no older unexpired entry existed when the page
 *   was read. Cursors do not expire; one that points past the retention window yields an empty
 *   last page. A cursor names a position in time only, not a user: the caller check stays the
 *   service's job, and a cursor replayed with another user id lists that user's older entries.
 * - **Retention.** The adapter is given a retention period `retentionMs` and a clock. An entry is
 *   listed while `clock.now() < at + retentionMs`, to the millisecond, and never after, whether or
 *   not the backend has deleted it yet (DynamoDB's TTL deletes lazily, typically within days, so
 *   `list` filters). The backend's own expiry is a storage clean-up at or after that instant. An
 *   entry appended already expired is accepted and never listed.
 * - **Erase** removes every entry of the user, expired ones still stored included. It is not
 *   atomic on every backend: an entry appended while it runs may survive it, and a failure part-way
 *   leaves some entries behind; calling it again finishes the job.
 * - **Read your writes.** An entry whose `append` resolved is seen by the next `list` and removed by
 *   the next `erase`.
 * - **Bad input** throws `InvalidInputError` before anything is read or written: a bad user id, an
 *   `at` that is not a non-negative safe integer, an unknown `type`, a hidden (`""`) or over-long
 *   URL, an over-long title, text with lone surrogates, a `limit` outside 1 to
 *   {@link MAX_ACTIVITY_PAGE_LIMIT}, or a cursor that is not one a log issued (malformed, cut or altered: cursors carry a
 *   checksum).
 * - **Backend failures** throw `ActivityUnavailableError` (HTTP 503) with the driver error as
 *   `cause`; an `append` that throws has written nothing that `list` would return, or exactly the
 *   entry it was asked for (a timeout after the write landed).
 * - Timestamps are the caller's clock; retention is measured with the adapter's clock.
 */
export interface ActivityLog {
  /** Appends one entry and returns it as `list` will show it. */
  append(entry: ActivityAppend): Promise<ActivityEntry>;
  /** One page of the user's unexpired entries, newest first (see the contract). */
  list(userId: string, options?: ActivityListOptions): Promise<ActivityPage>;
  /** Removes all of the user's entries (see the contract). */
  erase(userId: string): Promise<void>;
  /** Releases the backend client if the log created it. */
  close?(): Promise<void>;
}
