import { systemClock } from '../clock.js';
import { InvalidInputError } from '../errors.js';
import { type ConnectionRef, HIDDEN_PAGE, type OnlineRecord, type Page } from '../model.js';
import type {
  Clock,
  PresenceStore,
  RemovedConnection,
  SetPageResult,
  SweepBatch,
  TouchResult,
} from '../ports.js';

/** Options of {@link MemoryPresenceStore}. */
export interface MemoryPresenceStoreOptions {
  /**
   * The TTL safety net, in milliseconds: a connection not written (add, touch, setPage) for longer
   * than this, by the store's `clock`, is gone as if its keys had expired, even if no sweep runs.
   * @default 540_000 (three times the 180 s presence timeout)
   */
  readonly ttlMs?: number;
  /** Clock the TTL is measured with (not the caller's `now`, which only orders the sweep). @default systemClock */
  readonly clock?: Clock;
}

/** Default {@link MemoryPresenceStoreOptions.ttlMs}: three times the 180 s presence timeout. */
export const DEFAULT_MEMORY_TTL_MS = 3 * 180_000;

interface ConnectionEntry {
  readonly userId: string;
  /** The caller's last-seen timestamp: what the sweep compares with its cutoff. */
  lastSeen: number;
  /** The store clock's time of the last write: what the TTL is measured from. */
  writtenAt: number;
}

interface UserEntry {
  readonly connections: Set<string>;
  page: Page;
  latestPage: Page | null;
  lastSeen: number;
}

function freezePage(page: Page): Page {
  return page === HIDDEN_PAGE ? HIDDEN_PAGE : Object.freeze({ url: page.url, title: page.title });
}

/**
 * {@link PresenceStore} in process memory: the embedded default of the local runtime and the
 * reference the conformance suite is proven on. Every method runs synchronously inside its promise,
 * so each is atomic; keys "expire" lazily after `ttlMs` of inactivity, like Redis TTLs.
 * @example
 * const store = new MemoryPresenceStore();
 * await store.addConnection({ userId: 'alice', connectionId: 'L0SM9cOFvHcCIhw=' }, Date.now());
 */
export class MemoryPresenceStore implements PresenceStore {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #connections = new Map<string, ConnectionEntry>();
  readonly #users = new Map<string, UserEntry>();
  /** A lower bound of the earliest TTL expiry, so most calls skip the scan. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(options: MemoryPresenceStoreOptions = {}) {
    const ttlMs = options.ttlMs ?? DEFAULT_MEMORY_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new InvalidInputError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
    }
    this.#ttlMs = ttlMs;
    this.#clock = options.clock ?? systemClock;
  }

  async addConnection(ref: ConnectionRef, now: number): Promise<TouchResult> {
    this.#expire();
    return { wasRegistered: this.#upsert(ref, now) };
  }

  async removeConnection(connectionId: string): Promise<RemovedConnection | undefined> {
    this.#expire();
    return this.#detach(connectionId);
  }

  async touch(ref: ConnectionRef, now: number): Promise<TouchResult> {
    this.#expire();
    return { wasRegistered: this.#upsert(ref, now) };
  }

  async setPage(
    ref: ConnectionRef,
    page: Page,
    shared: boolean,
    now: number,
  ): Promise<SetPageResult> {
    this.#expire();
    const wasRegistered = this.#upsert(ref, now);
    const user = this.#users.get(ref.userId) as UserEntry;
    const stored = freezePage(page);
    user.page = stored;
    if (shared && stored.url !== '') user.latestPage = stored;
    return { wasRegistered, latestPage: user.latestPage };
  }

  async userOfConnection(connectionId: string): Promise<string | undefined> {
    this.#expire();
    return this.#connections.get(connectionId)?.userId;
  }

  async connectionsOf(
    userIds: readonly string[],
    seenSince?: number,
  ): Promise<Map<string, string[]>> {
    if (seenSince !== undefined && (typeof seenSince !== 'number' || !Number.isFinite(seenSince))) {
      throw new InvalidInputError('seenSince must be a finite number of milliseconds');
    }
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
    if (typeof seenSince !== 'number' || !Number.isFinite(seenSince)) {
      throw new InvalidInputError('seenSince must be a finite number of milliseconds');
    }
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

  async sweep(cutoff: number, limit: number): Promise<SweepBatch> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidInputError(`sweep limit must be a positive integer, got ${limit}`);
    }
    this.#expire();
    const stale: Array<[string, ConnectionEntry]> = [];
    for (const entry of this.#connections) {
      if (entry[1].lastSeen < cutoff) stale.push(entry);
    }
    stale.sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    const expired: ConnectionRef[] = [];
    const offline: string[] = [];
    for (const [connectionId, { userId }] of stale.slice(0, limit)) {
      expired.push({ userId, connectionId });
      if (this.#detach(connectionId)?.userOffline) offline.push(userId);
    }
    return { expired, offline, more: stale.length > limit };
  }

  /** Forgets everything (tests and the local runtime's reset). */
  async clear(): Promise<void> {
    this.#connections.clear();
    this.#users.clear();
    this.#nextExpiry = Number.POSITIVE_INFINITY;
  }

  /** Nothing to release; present so callers can treat every store alike. */
  async close(): Promise<void> {}

  /** Registers or refreshes a connection; returns whether it was already known for this user. */
  #upsert(ref: ConnectionRef, now: number): boolean {
    const writtenAt = this.#clock.now();
    const existing = this.#connections.get(ref.connectionId);
    if (existing !== undefined && existing.userId !== ref.userId) this.#detach(ref.connectionId);
    const known = existing !== undefined && existing.userId === ref.userId;
    let user = this.#users.get(ref.userId);
    if (user === undefined) {
      user = { connections: new Set(), page: HIDDEN_PAGE, latestPage: null, lastSeen: now };
      this.#users.set(ref.userId, user);
    }
    user.connections.add(ref.connectionId);
    user.lastSeen = now;
    if (known) {
      existing.lastSeen = now;
      existing.writtenAt = writtenAt;
    } else {
      this.#connections.set(ref.connectionId, { userId: ref.userId, lastSeen: now, writtenAt });
    }
    this.#nextExpiry = Math.min(this.#nextExpiry, writtenAt + this.#ttlMs);
    return known;
  }

  #detach(connectionId: string): RemovedConnection | undefined {
    const entry = this.#connections.get(connectionId);
    if (entry === undefined) return undefined;
    this.#connections.delete(connectionId);
    const user = this.#users.get(entry.userId);
    user?.connections.delete(connectionId);
    const userOffline = user === undefined || user.connections.size === 0;
    if (userOffline) this.#users.delete(entry.userId);
    return { userId: entry.userId, userOffline };
  }

  /** Drops connections (and users left without any) whose TTL has elapsed. */
  #expire(): void {
    const now = this.#clock.now();
    if (now <= this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [connectionId, entry] of this.#connections) {
      const expiresAt = entry.writtenAt + this.#ttlMs;
      if (now > expiresAt) this.#detach(connectionId);
      else next = Math.min(next, expiresAt);
    }
    this.#nextExpiry = next;
  }
}
