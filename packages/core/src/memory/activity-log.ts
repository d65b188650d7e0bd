import {
  type ActivityIdFactory,
  activityIdFloor,
  createActivityIdFactory,
  encodeActivityCursor,
  parseActivityAppend,
  parseActivityListOptions,
  toActivityEntry,
} from '../activity-input.js';
import {
  type ActivityAppend,
  type ActivityEntry,
  type ActivityListOptions,
  type ActivityLog,
  type ActivityPage,
  DEFAULT_ACTIVITY_RETENTION_MS,
} from '../activity-log.js';
import { systemClock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { assertUserId, DEFAULT_LIMITS, type PresenceLimits } from '../limits.js';
import type { Clock } from '../ports.js';

/** Options of {@link MemoryActivityLog}. */
export interface MemoryActivityLogOptions {
  /**
   * How long an entry is listed after its `at`, in milliseconds (by `clock`).
   * @default 2_592_000_000 (30 days, `DEFAULT_ACTIVITY_RETENTION_MS`)
   */
  readonly retentionMs?: number;
  /** The clock retention is measured with. @default systemClock */
  readonly clock?: Clock;
  /** Maximum user id, URL and title lengths. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
}

// Appends between two scans that drop every user's expired entries, so that users who never come
// back do not keep memory forever (each user's own expired entries also go whenever they are read).
const PURGE_EVERY = 1024;

/**
 * {@link ActivityLog} in process memory: the local runtime's embedded history and the reference the
 * conformance suite is proven on. Each user's entries are kept sorted by id; expired entries are
 * dropped lazily, on the user's next append or read, and by a scan every 1024 appends.
 * @example
 * const log = new MemoryActivityLog({ retentionMs: 7 * 24 * 3600_000 });
 * await log.append({ userId: 'alice', at: Date.now(), type: 'online' });
 * const { entries, nextCursor } = await log.list('alice', { limit: 20 });
 */
export class MemoryActivityLog implements ActivityLog {
  readonly #retentionMs: number;
  readonly #clock: Clock;
  readonly #limits: PresenceLimits;
  readonly #nextId: ActivityIdFactory = createActivityIdFactory();
  /** Entries of each user, ascending by id. */
  readonly #users = new Map<string, ActivityEntry[]>();
  #appendsSincePurge = 0;

  /** @throws ConfigError for a `retentionMs` that is not a positive integer */
  constructor(options: MemoryActivityLogOptions = {}) {
    const retentionMs = options.retentionMs ?? DEFAULT_ACTIVITY_RETENTION_MS;
    if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
      throw new ConfigError(
        `retentionMs must be a positive integer number of milliseconds, got ${retentionMs}`,
      );
    }
    this.#retentionMs = retentionMs;
    this.#clock = options.clock ?? systemClock;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
  }

  async append(input: ActivityAppend): Promise<ActivityEntry> {
    const record = parseActivityAppend(input, this.#limits);
    const entry = Object.freeze(toActivityEntry(this.#nextId(record.at), record));
    const entries = this.#users.get(record.userId) ?? [];
    entries.splice(firstIndexAbove(entries, entry.id), 0, entry);
    this.#users.set(record.userId, entries);
    this.#purge(record.userId);
    this.#appendsSincePurge += 1;
    if (this.#appendsSincePurge >= PURGE_EVERY) {
      this.#appendsSincePurge = 0;
      for (const userId of [...this.#users.keys()]) this.#purge(userId);
    }
    return entry;
  }

  async list(userId: string, options?: ActivityListOptions): Promise<ActivityPage> {
    assertUserId(userId, 'userId', this.#limits);
    const { limit, beforeId } = parseActivityListOptions(options);
    const entries = this.#purge(userId);
    const end = beforeId === undefined ? entries.length : firstIndexAtOrAbove(entries, beforeId);
    const start = Math.max(0, end - limit);
    const page = entries.slice(start, end).reverse();
    const last = page.at(-1);
    return {
      entries: page,
      nextCursor: start > 0 && last !== undefined ? encodeActivityCursor(last.id) : null,
    };
  }

  async erase(userId: string): Promise<void> {
    assertUserId(userId, 'userId', this.#limits);
    this.#users.delete(userId);
  }

  /** Drops the user's expired entries and returns what is left (ascending). */
  #purge(userId: string): readonly ActivityEntry[] {
    const entries = this.#users.get(userId);
    if (entries === undefined) return [];
    const expired = firstIndexAtOrAbove(
      entries,
      activityIdFloor(this.#clock.now(), this.#retentionMs),
    );
    if (expired > 0) entries.splice(0, expired);
    if (entries.length === 0) this.#users.delete(userId);
    return entries;
  }
}

/** Index of the first entry whose id is `>= id` (binary search over ascending ids). */
function firstIndexAtOrAbove(entries: readonly ActivityEntry[], id: string): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((entries[mid] as ActivityEntry).id < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index of the first entry whose id is `> id`. */
function firstIndexAbove(entries: readonly ActivityEntry[], id: string): number {
  const index = firstIndexAtOrAbove(entries, id);
  return entries[index]?.id === id ? index + 1 : index;
}
