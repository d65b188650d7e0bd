import { InvalidInputError } from '../errors.js';
import type {
  OutboxEntry,
  PageOptions,
  PartitionMark,
  RateLimit,
  ReconcileProgress,
} from '../ports.js';

/** One pending announcement of {@link MemoryOutbox}. */
interface PendingEntry {
  readonly lastActivity: number;
  readonly recordedAt: number;
  due: number;
  claim: string;
}

/**
 * The in-memory outbox: one entry per offline user, kept in record order (a user recorded again
 * moves to the end), so the oldest entries are always first and trimming is O(1) per record.
 */
export class MemoryOutbox {
  readonly #entries = new Map<string, PendingEntry>();
  readonly #leaseMs: number;
  readonly #ttlMs: number;
  #claims = 0;

  constructor(leaseMs: number, ttlMs: number) {
    this.#leaseMs = leaseMs;
    this.#ttlMs = ttlMs;
  }

  /** Records (or replaces) a user's entry; drops up to two entries older than the TTL on the way. */
  record(userId: string, lastActivity: number, now: number): OutboxEntry {
    let trimmed = 0;
    for (const [id, entry] of this.#entries) {
      if (trimmed === 2 || entry.recordedAt >= now - this.#ttlMs) break;
      this.#entries.delete(id);
      trimmed += 1;
    }
    this.#entries.delete(userId);
    const claim = this.#nextClaim();
    this.#entries.set(userId, { lastActivity, recordedAt: now, due: now + this.#leaseMs, claim });
    return { userId, lastActivity, claim };
  }

  /** Deletes a user's entry (they came back online). */
  forget(userId: string): void {
    this.#entries.delete(userId);
  }

  claim(now: number, limit: number): OutboxEntry[] {
    const claimed: OutboxEntry[] = [];
    for (const [userId, entry] of this.#entries) {
      if (claimed.length >= limit) break;
      if (entry.recordedAt < now - this.#ttlMs) {
        this.#entries.delete(userId);
        continue;
      }
      if (entry.due > now) continue;
      entry.due = now + this.#leaseMs;
      entry.claim = this.#nextClaim();
      claimed.push({ userId, lastActivity: entry.lastActivity, claim: entry.claim });
    }
    return claimed;
  }

  ack(entries: readonly OutboxEntry[]): number {
    let acked = 0;
    for (const { userId, claim } of entries) {
      if (this.#entries.get(userId)?.claim !== claim) continue;
      this.#entries.delete(userId);
      acked += 1;
    }
    return acked;
  }

  #nextClaim(): string {
    this.#claims += 1;
    return `m${this.#claims.toString(36)}`;
  }
}

/** Last activity of offline users, each expiring `retentionMs` after it was stored (store clock). */
export class MemoryLastSeen {
  readonly #entries = new Map<string, { at: number; expiresAt: number }>();
  readonly #retentionMs: number;

  constructor(retentionMs: number) {
    this.#retentionMs = retentionMs;
  }

  store(userId: string, at: number, clockNow: number): void {
    if (this.#retentionMs === 0) return;
    let trimmed = 0;
    for (const [id, entry] of this.#entries) {
      if (trimmed === 2 || entry.expiresAt >= clockNow) break;
      this.#entries.delete(id);
      trimmed += 1;
    }
    this.#entries.delete(userId);
    this.#entries.set(userId, { at, expiresAt: clockNow + this.#retentionMs });
  }

  forget(userId: string): void {
    this.#entries.delete(userId);
  }

  read(userIds: readonly string[], clockNow: number): Map<string, number> {
    const result = new Map<string, number>();
    for (const userId of userIds) {
      const entry = this.#entries.get(userId);
      if (entry !== undefined && entry.expiresAt >= clockNow) result.set(userId, entry.at);
    }
    return result;
  }
}

/**
 * The sweep marker of the in-memory store's single partition. Memory cannot lose data under its
 * callers (a restart loses the callers' sockets too), so a created marker is never `lost`.
 */
export class MemoryMarker {
  #mark: { epoch: number; seen: number; gap?: { from: number; to: number } } | undefined;

  mark(now: number, gapMs: number): PartitionMark[] {
    const mark = this.#mark;
    if (mark === undefined) {
      this.#mark = { epoch: now, seen: now };
      return [{ partition: 0, epoch: now, lost: false }];
    }
    if (now - mark.seen > gapMs) mark.gap = { from: mark.seen, to: now };
    mark.seen = Math.max(mark.seen, now);
    return [
      {
        partition: 0,
        epoch: mark.epoch,
        lost: false,
        ...(mark.gap === undefined ? {} : { gap: { ...mark.gap } }),
      },
    ];
  }

  /** Nothing is ever lost in memory, so there is no reconcile to record. */
  reconciled(_progress: readonly ReconcileProgress[]): void {}
}

/** Tokens left after one frame at `now`, or `undefined` when the bucket is empty (refused). */
export function takeToken(
  limit: RateLimit,
  tokens: number | undefined,
  since: number,
  now: number,
): number | undefined {
  const refilled = Math.min(
    limit.burst,
    (tokens ?? limit.burst) + (Math.max(0, now - since) * limit.perSecond) / 1000,
  );
  return refilled < 1 ? undefined : refilled - 1;
}

/** Checks the options every upsert takes; bad ones are an {@link InvalidInputError}. */
export function assertWriteOptions(options: {
  deadline?: number;
  maxConnections?: number;
  rateLimit?: RateLimit;
}): void {
  const { deadline, maxConnections, rateLimit } = options;
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline))) {
    throw new InvalidInputError('deadline must be a finite number of milliseconds');
  }
  if (
    maxConnections !== undefined &&
    (!Number.isSafeInteger(maxConnections) || maxConnections < 1)
  ) {
    throw new InvalidInputError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  if (rateLimit !== undefined) {
    const { perSecond, burst } = rateLimit ?? {};
    if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) {
      throw new InvalidInputError(
        `rateLimit.perSecond must be a positive number, got ${perSecond}`,
      );
    }
    if (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1) {
      throw new InvalidInputError(`rateLimit.burst must be a number of at least 1, got ${burst}`);
    }
  }
}

/** Longest {@link PageOptions.frameFingerprint} a store accepts. */
export const MAX_FRAME_FINGERPRINT_LENGTH = 128;

/** Checks the options of a setPage (the upsert options and the frame fingerprint). */
export function assertPageOptions(options: {
  deadline?: number;
  maxConnections?: number;
  rateLimit?: RateLimit;
  frameFingerprint?: string;
}): void {
  assertWriteOptions(options);
  const fingerprint = options.frameFingerprint;
  if (
    fingerprint !== undefined &&
    (typeof fingerprint !== 'string' ||
      fingerprint.length === 0 ||
      fingerprint.length > MAX_FRAME_FINGERPRINT_LENGTH)
  ) {
    throw new InvalidInputError(
      `frameFingerprint must be a string of 1 to ${MAX_FRAME_FINGERPRINT_LENGTH} characters`,
    );
  }
}
