import type { ConnectionRef, Page } from '../model.js';
import type { PresenceStore, RemovedConnection, SweepBatch } from '../ports.js';
import type { PresenceStoreFactory } from './store-handle.js';

/** Options of `describePresenceStore`; each one is a named opt-out or a knob. */
export interface PresenceStoreSuiteOptions {
  /**
   * Makes every TTL of the store elapse (advance the store's fake clock past `ttlMs`, or shorten and
   * wait out the backend's key TTLs). Without it the TTL test is skipped, and says so in its name:
   * a backend whose TTLs cannot be forced cheaply covers them in its own tests.
   */
  readonly ttl?: {
    /** Makes every TTL of the current store elapse; resolves once it has. */
    readonly expire: () => Promise<void>;
  };
  /**
   * Makes the last-seen retention of the current store elapse (the keys' own TTL, not the outbox or
   * the connections'). Without it the retention test is skipped and says so.
   */
  readonly lastSeen?: {
    /** Makes the last-seen retention of the current store elapse; resolves once it has. */
    readonly expire: () => Promise<void>;
  };
  /**
   * The backend's own clock (ms), which write deadlines are compared with: the memory store's
   * `clock`, or `Date.now()` for a server on this machine. Without it the deadline tests are
   * skipped and say so.
   */
  readonly backendNow?: () => number;
  /**
   * Makes the current store lose all its data as a backend restart would (every key gone), so that
   * the markers report `lost`. Without it (a store that cannot lose data under its callers, like the
   * memory store) the suite checks that created markers are never `lost` instead.
   */
  readonly loseData?: () => Promise<void>;
  /**
   * Makes a fresh, empty store with these settings, for the tests that need other values than the
   * defaults (a last-seen retention of 0). Without it those tests are skipped and say so.
   */
  readonly makeStoreWith?: (settings: {
    readonly lastSeenRetentionMs: number;
  }) => ReturnType<PresenceStoreFactory>;
  /** The store's outbox lease (ms). @default 30_000 (both stores' default) */
  readonly outboxLeaseMs?: number;
  /** The store's outbox TTL (ms). @default 3_600_000 (both stores' default) */
  readonly outboxTtlMs?: number;
  /**
   * Set when one `sweep(cutoff, limit)` call may remove more than `limit` connections (a store that
   * sweeps several buckets per call, each up to `limit`). The suite then checks only that repeated
   * calls drain every stale connection and make progress. @default false
   */
  readonly sweepLimitIsApproximate?: boolean;
  /** Random sequences the model-based test runs; `0` skips it (state why in your test file). @default 60 */
  readonly modelRuns?: number;
  /** Longest random sequence of the model-based test. @default 20 */
  readonly modelMaxOps?: number;
  /** fast-check seed, to replay a failure the model-based test reported. */
  readonly modelSeed?: number;
  /** Timeout of the model-based test, in ms. @default 60_000 */
  readonly modelTimeoutMs?: number;
}

/** What every group of tests receives: the current test's store and the suite's inputs. */
export interface SuiteContext {
  store(): PresenceStore;
  readonly makeStore: PresenceStoreFactory;
  readonly options: PresenceStoreSuiteOptions;
}

/** The suite's base time: Nov 2023, in ms. */
export const T0 = 1_700_000_000_000;
export const ALICE = 'alice';
export const BOB = `o'brien"bob"`;
export const CAROL = 'carol-ünïcødé-用户-😀';
export const DAVE = '{dave}:tag';
export const LONG = `google_${'1'.repeat(121)}`;

export const PAGE_A: Page = { url: 'https://github.com/presence/core', title: 'GitHub' };
export const PAGE_B: Page = { url: 'https://foo.github.io/a?b="c"&d=é', title: 'Foo "ü" {x} 😀' };
export const PAGE_C: Page = { url: 'https://www.bbc.co.uk/news', title: 'BBC' };

let connectionCounter = 0;
/** A connection of `userId` with a fresh API Gateway-like id (letters, digits, `=`, `_`, `-`). */
export function conn(userId: string): ConnectionRef {
  connectionCounter += 1;
  return { userId, connectionId: `L0SM${connectionCounter.toString(36)}cOFvH_c-CIhw=` };
}

/** Sorted copy of a list of ids (`undefined` stays). */
export const sortedIds = (ids: readonly string[] | undefined) =>
  ids === undefined ? undefined : [...ids].sort();
/** Sorted connection ids a batch expired. */
export const expiredIds = (batch: SweepBatch) => batch.expired.map((r) => r.connectionId).sort();

/** A removal result without its outbox entry: `{ userId, userOffline }`, or `undefined`. */
export function removal(result: RemovedConnection | undefined) {
  return result === undefined
    ? undefined
    : { userId: result.userId, userOffline: result.userOffline };
}

/** Sweeps at `cutoff` until `more` is false (bounded), returning every batch. */
export async function drain(
  store: PresenceStore,
  cutoff: number,
  limit: number,
): Promise<SweepBatch[]> {
  const batches: SweepBatch[] = [];
  for (let i = 0; i < 100; i++) {
    const batch = await store.sweep(cutoff, limit);
    batches.push(batch);
    if (!batch.more) return batches;
  }
  throw new Error(`sweep(${cutoff}, ${limit}) still reported more after 100 calls`);
}
