import { systemClock } from '../clock.js';
import { InvalidInputError, StoreUnavailableError } from '../errors.js';
import { type ConnectionRef, HIDDEN_PAGE, type OnlineRecord, type Page } from '../model.js';
import type {
  Clock,
  DurablePresenceStore,
  FrameOptions,
  OutboxEntry,
  PageOptions,
  PartitionMark,
  PresenceWithLastSeen,
  ReconcileProgress,
  RemovedConnection,
  RemoveOptions,
  SetPageResult,
  SweepBatch,
  SweepCallOptions,
  TouchResult,
  UpsertOptions,
} from '../ports.js';
import {
  assertPageOptions,
  assertWriteOptions,
  MemoryLastSeen,
  MemoryMarker,
  MemoryOutbox,
  takeToken,
} from './durable-state.js';

/** Options of {@link MemoryPresenceStore}. */
export interface MemoryPresenceStoreOptions {
  /**
   * The TTL safety net, in milliseconds: a connection not written (add, touch, setPage) for longer
   * than this, by the store's `clock`, is gone as if its keys had expired, even if no sweep runs.
   * @default 540_000 (three times the 180 s presence timeout)
   */
  readonly ttlMs?: number;
  /**
   * Clock the TTLs and the write deadlines are measured with (not the caller's `now`, which only
   * orders the sweep and the outbox). @default systemClock
   */
  readonly clock?: Clock;
  /** How long an outbox entry stays with the caller that recorded or claimed it before it can be claimed again. @default 30_000 */
  readonly outboxLeaseMs?: number;
  /** Outbox entries recorded longer ago than this are dropped unannounced. @default 3_600_000 (one hour) */
  readonly outboxTtlMs?: number;
  /** How long the last activity of a user who went offline is kept; 0 keeps none. @default 2_592_000_000 (30 days) */
  readonly lastSeenRetentionMs?: number;
}

/** Default {@link MemoryPresenceStoreOptions.ttlMs}: three times the 180 s presence timeout. */
export const DEFAULT_MEMORY_TTL_MS = 3 * 180_000;
/** Default outbox lease of both stores: the caller that took a user offline has this long to announce. */
export const DEFAULT_OUTBOX_LEASE_MS = 30_000;
/** Default outbox TTL of both stores: an announcement not made within an hour is given up. */
export const DEFAULT_OUTBOX_TTL_MS = 3_600_000;
/** Default last-seen retention of both stores: 30 days. */
export const DEFAULT_LAST_SEEN_RETENTION_MS = 30 * 24 * 3_600_000;

interface ConnectionEntry {
  readonly userId: string;
  /** The caller's last-seen timestamp: what the sweep compares with its cutoff. */
  lastSeen: number;
  /** The store clock's time of the last write: what the TTL is measured from. */
  writtenAt: number;
  /** Tokens of the frame rate limit left at `lastSeen`; `undefined`: a full bucket. */
  tokens: number | undefined;
}

interface UserEntry {
  readonly connections: Set<string>;
  page: Page;
  latestPage: Page | null;
  /** Latest last-seen of any of the user's connections (or `$disconnect` time): the last activity. */
  lastActivity: number;
  /** The frame fingerprint of the last setPage (see `PageOptions.frameFingerprint`). */
  fingerprint: string | undefined;
}

function freezePage(page: Page): Page {
  return page === HIDDEN_PAGE ? HIDDEN_PAGE : Object.freeze({ url: page.url, title: page.title });
}

function nonNegative(value: number, name: string, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new InvalidInputError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds, got ${value}`,
    );
  }
  return value;
}

/**
 * {@link PresenceStore} (with its {@link OfflineOutbox}, {@link SweepMarkers} and
 * {@link LastSeenSource}) in process memory: the embedded default of the local runtime and the
 * reference the conformance suite is proven on. Every method runs synchronously inside its promise,
 * so each is atomic; keys "expire" lazily after `ttlMs` of inactivity, like Redis TTLs.
 * @example
 * const store = new MemoryPresenceStore();
 * await store.addConnection({ userId: 'alice', connectionId: 'L0SM9cOFvHcCIhw=' }, Date.now());
 */
export class MemoryPresenceStore implements DurablePresenceStore {
  /** One partition: memory loses nothing under its callers. */
  readonly partitions = 1;
  /** How long the last activity of a user who went offline is kept (ms); 0: none. */
  readonly lastSeenRetentionMs: number;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #connections = new Map<string, ConnectionEntry>();
  readonly #users = new Map<string, UserEntry>();
  readonly #outbox: MemoryOutbox;
  readonly #lastSeen: MemoryLastSeen;
  readonly #marker = new MemoryMarker();
  /** A lower bound of the earliest TTL expiry, so most calls skip the scan. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(options: MemoryPresenceStoreOptions = {}) {
    this.#ttlMs = nonNegative(options.ttlMs ?? DEFAULT_MEMORY_TTL_MS, 'ttlMs', false);
    this.#clock = options.clock ?? systemClock;
    this.#outbox = new MemoryOutbox(
      nonNegative(options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS, 'outboxLeaseMs', true),
      nonNegative(options.outboxTtlMs ?? DEFAULT_OUTBOX_TTL_MS, 'outboxTtlMs', false),
    );
    this.lastSeenRetentionMs = nonNegative(
      options.lastSeenRetentionMs ?? DEFAULT_LAST_SEEN_RETENTION_MS,
      'lastSeenRetentionMs',
      true,
    );
    this.#lastSeen = new MemoryLastSeen(this.lastSeenRetentionMs);
  }

  async addConnection(
    ref: ConnectionRef,
    now: number,
    options: UpsertOptions = {},
  ): Promise<TouchResult> {
    this.#expire();
    return this.#upsert(ref, now, options);
  }

  async removeConnection(
    connectionId: string,
    options: RemoveOptions = {},
  ): Promise<RemovedConnection | undefined> {
    this.#expire();
    const now = options.now ?? this.#clock.now();
    return this.#detach(connectionId, now, options.userAction === true ? now : undefined);
  }

  async touch(ref: ConnectionRef, now: number, options: FrameOptions = {}): Promise<TouchResult> {
    this.#expire();
    return this.#upsert(ref, now, options);
  }

  async setPage(
    ref: ConnectionRef,
    page: Page,
    shared: boolean,
    now: number,
    options: PageOptions = {},
  ): Promise<SetPageResult> {
    assertPageOptions(options);
    this.#expire();
    const result = this.#upsert(ref, now, options);
    if (result.rateLimited) return { ...result, latestPage: null };
    const user = this.#users.get(ref.userId) as UserEntry;
    const stored = freezePage(page);
    user.page = stored;
    if (shared && stored.url !== '') user.latestPage = stored;
    const fingerprint = options.frameFingerprint;
    const unchanged = fingerprint !== undefined && user.fingerprint === fingerprint;
    user.fingerprint = fingerprint;
    return unchanged
      ? { ...result, latestPage: user.latestPage, unchanged }
      : { ...result, latestPage: user.latestPage };
  }

  async userOfConnection(connectionId: string): Promise<string | undefined> {
    this.#expire();
    return this.#connections.get(connectionId)?.userId;
  }

  async connectionsOf(
    userIds: readonly string[],
    seenSince?: number,
  ): Promise<Map<string, string[]>> {
    if (seenSince !== undefined) assertTime(seenSince, 'seenSince');
    this.#expire();
    const result = new Map<string, string[]>();
    for (const userId of userIds) {
      const user = this.#users.get(userId);
      if (user === undefined) continue;
      const live =
        seenSince === undefined
          ? [...user.connections]
          : [...user.connections].filter(
              (id) =>
                (this.#connections.get(id)?.lastSeen ?? Number.NEGATIVE_INFINITY) >= seenSince,
            );
      if (live.length > 0) result.set(userId, live);
    }
    return result;
  }

  async presenceOf(userIds: readonly string[]): Promise<Map<string, OnlineRecord>> {
    this.#expire();
    const result = new Map<string, OnlineRecord>();
    for (const userId of userIds) {
      const user = this.#users.get(userId);
      if (user !== undefined) result.set(userId, { page: user.page, latestPage: user.latestPage });
    }
    return result;
  }

  async liveUsers(seenSince: number, limit: number): Promise<string[] | undefined> {
    assertTime(seenSince, 'seenSince');
    if (!Number.isInteger(limit) || limit < 0) {
      throw new InvalidInputError(`liveUsers limit must be a whole number, got ${limit}`);
    }
    this.#expire();
    const users = new Set<string>();
    let count = 0;
    for (const { userId, lastSeen } of this.#connections.values()) {
      if (lastSeen < seenSince) continue;
      count += 1;
      if (count > limit) return undefined;
      users.add(userId);
    }
    return [...users];
  }

  async sweep(cutoff: number, limit: number, options: SweepCallOptions = {}): Promise<SweepBatch> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidInputError(`sweep limit must be a positive integer, got ${limit}`);
    }
    this.#expire();
    const now = options.now ?? this.#clock.now();
    const stale: Array<[string, ConnectionEntry]> = [];
    for (const entry of this.#connections) {
      if (entry[1].lastSeen < cutoff) stale.push(entry);
    }
    stale.sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    const counts = { stale: stale.length, total: this.#connections.size };
    const expired: ConnectionRef[] = [];
    const offline: string[] = [];
    const announcements: OutboxEntry[] = [];
    for (const [connectionId, { userId }] of stale.slice(0, limit)) {
      expired.push({ userId, connectionId });
      const removed = this.#detach(connectionId, now, undefined);
      if (removed?.announcement !== undefined) {
        offline.push(userId);
        announcements.push(removed.announcement);
      }
    }
    return { expired, offline, more: stale.length > limit, announcements, counts };
  }

  async claimOutbox(now: number, limit: number): Promise<OutboxEntry[]> {
    assertTime(now, 'now');
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidInputError(`claim limit must be a positive integer, got ${limit}`);
    }
    return this.#outbox.claim(now, limit);
  }

  async ackOutbox(entries: readonly OutboxEntry[]): Promise<number> {
    return this.#outbox.ack(entries);
  }

  partitionOf(_userId: string): number {
    return 0;
  }

  async markSweep(
    now: number,
    gapMs: number,
    options: { readonly deadline?: number } = {},
  ): Promise<PartitionMark[]> {
    assertTime(now, 'now');
    assertTime(gapMs, 'gapMs');
    this.#beforeDeadline(options.deadline, 'markSweep');
    return this.#marker.mark(now, gapMs);
  }

  async markReconciled(progress: readonly ReconcileProgress[]): Promise<void> {
    this.#marker.reconciled(progress);
  }

  async liveUsersIn(partition: number, seenSince: number): Promise<string[]> {
    assertTime(seenSince, 'seenSince');
    if (partition !== 0) return [];
    this.#expire();
    const users = new Set<string>();
    for (const { userId, lastSeen } of this.#connections.values()) {
      if (lastSeen >= seenSince) users.add(userId);
    }
    return [...users];
  }

  async lastSeenOf(userIds: readonly string[]): Promise<Map<string, number>> {
    this.#expire();
    return this.#lastSeen.read(userIds, this.#clock.now());
  }

  async presenceWithLastSeenOf(userIds: readonly string[]): Promise<PresenceWithLastSeen> {
    const [online, lastSeen] = await Promise.all([
      this.presenceOf(userIds),
      this.lastSeenOf(userIds),
    ]);
    return { online, lastSeen };
  }

  /** Nothing to release; present so callers can treat every store alike. */
  async close(): Promise<void> {}

  /** Registers or refreshes a connection, enforcing the write options in the same step. */
  #upsert(ref: ConnectionRef, now: number, options: FrameOptions): TouchResult {
    assertWriteOptions(options);
    if (options.deadline !== undefined && this.#clock.now() > options.deadline) {
      throw new StoreUnavailableError(
        'the store ran the write after its deadline: nothing was written',
      );
    }
    const writtenAt = this.#clock.now();
    const existing = this.#connections.get(ref.connectionId);
    const known = existing !== undefined && existing.userId === ref.userId;
    let tokens: number | undefined;
    if (known && options.rateLimit !== undefined) {
      tokens = takeToken(options.rateLimit, existing.tokens, existing.lastSeen, now);
      if (tokens === undefined) return { wasRegistered: true, rateLimited: true };
    }
    if (existing !== undefined && !known) this.#detach(ref.connectionId, now, undefined);
    let user = this.#users.get(ref.userId);
    const cameOnline = user === undefined;
    if (user === undefined) {
      user = {
        connections: new Set(),
        page: HIDDEN_PAGE,
        latestPage: null,
        lastActivity: now,
        fingerprint: undefined,
      };
      this.#users.set(ref.userId, user);
      this.#outbox.forget(ref.userId);
      this.#lastSeen.forget(ref.userId);
    }
    user.lastActivity = Math.max(user.lastActivity, now);
    // A new or re-opened socket holds no frame yet: the next setPage must broadcast.
    if (!known) user.fingerprint = undefined;
    if (known) {
      existing.lastSeen = now;
      existing.writtenAt = writtenAt;
      existing.tokens = tokens;
    } else {
      user.connections.add(ref.connectionId);
      this.#connections.set(ref.connectionId, {
        userId: ref.userId,
        lastSeen: now,
        writtenAt,
        tokens: undefined,
      });
    }
    this.#nextExpiry = Math.min(this.#nextExpiry, writtenAt + this.#ttlMs);
    const evicted =
      known || options.maxConnections === undefined
        ? []
        : this.#evict(user, ref.connectionId, options.maxConnections);
    return {
      wasRegistered: known,
      ...(evicted.length > 0 ? { evicted } : {}),
      ...(cameOnline ? { cameOnline } : {}),
    };
  }

  /** @throws StoreUnavailableError when the store's clock is past `deadline` */
  #beforeDeadline(deadline: number | undefined, what: string): void {
    if (deadline !== undefined && this.#clock.now() > deadline) {
      throw new StoreUnavailableError(
        `the store ran ${what} after its deadline: nothing was written`,
      );
    }
  }

  /** Removes the least recently seen connections (ties: smaller id) but `keep` beyond `cap`. */
  #evict(user: UserEntry, keep: string, cap: number): string[] {
    const excess = user.connections.size - cap;
    if (excess <= 0) return [];
    const others = [...user.connections]
      .filter((id) => id !== keep)
      .map((id) => [id, this.#connections.get(id)?.lastSeen ?? 0] as const)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, excess)
      .map(([id]) => id);
    for (const id of others) {
      this.#connections.delete(id);
      user.connections.delete(id);
    }
    return others;
  }

  /**
   * Removes a connection; when it was its user's last, the user goes offline: their outbox entry and
   * last-seen are recorded at `now`, with `activity` (a `$disconnect`'s time) counting as activity.
   */
  #detach(
    connectionId: string,
    now: number,
    activity: number | undefined,
  ): RemovedConnection | undefined {
    const entry = this.#connections.get(connectionId);
    if (entry === undefined) return undefined;
    this.#connections.delete(connectionId);
    const user = this.#users.get(entry.userId);
    user?.connections.delete(connectionId);
    if (user !== undefined && activity !== undefined) {
      user.lastActivity = Math.max(user.lastActivity, activity);
    }
    if (user !== undefined && user.connections.size > 0) {
      return { userId: entry.userId, userOffline: false };
    }
    this.#users.delete(entry.userId);
    const lastActivity = user?.lastActivity ?? entry.lastSeen;
    this.#lastSeen.store(entry.userId, lastActivity, this.#clock.now());
    const announcement = this.#outbox.record(entry.userId, lastActivity, now);
    return { userId: entry.userId, userOffline: true, announcement };
  }

  /** Drops connections (and users left without any) whose TTL has elapsed; no announcement. */
  #expire(): void {
    const now = this.#clock.now();
    if (now <= this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [connectionId, entry] of this.#connections) {
      const expiresAt = entry.writtenAt + this.#ttlMs;
      if (now <= expiresAt) {
        next = Math.min(next, expiresAt);
        continue;
      }
      this.#connections.delete(connectionId);
      const user = this.#users.get(entry.userId);
      user?.connections.delete(connectionId);
      if (user !== undefined && user.connections.size === 0) this.#users.delete(entry.userId);
    }
    this.#nextExpiry = next;
  }
}

function assertTime(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(`${field} must be a finite number of milliseconds`);
  }
}
