import {
  assertConnectionId,
  ConfigError,
  type ConnectionRef,
  DEFAULT_LAST_SEEN_RETENTION_MS,
  DEFAULT_LIMITS,
  DEFAULT_OUTBOX_LEASE_MS,
  DEFAULT_OUTBOX_TTL_MS,
  type DurablePresenceStore,
  type FrameOptions,
  HIDDEN_PAGE,
  InvalidInputError,
  type OnlineRecord,
  type OutboxEntry,
  type Page,
  type PageOptions,
  type PartitionMark,
  type PresenceLimits,
  type PresenceWithLastSeen,
  type ReconcileProgress,
  type RemovedConnection,
  type RemoveOptions,
  type SetPageResult,
  StoreUnavailableError,
  type SweepBatch,
  type SweepCallOptions,
  type TouchResult,
  type UpsertOptions,
} from '@presence/core';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import {
  assertLimit,
  assertTime,
  type Client,
  checkUserId,
  defineScripts,
  isValid,
  type ScriptClient,
  unavailable,
} from './commands.js';
import { claimTokens, type StoreInternals } from './internals.js';
import { DEFAULT_KEY_PREFIX, DEFAULT_SWEEP_BUCKETS, RedisKeyLayout } from './key-layout.js';
import { latestFromPairs } from './page-codec.js';
import { NodePipelines } from './per-node.js';
import * as durable from './redis-durable.js';
import * as reads from './redis-reads.js';
import { sweepBuckets } from './redis-sweep.js';
import { remove, touchResult, upsert } from './redis-writes.js';

/** Default {@link RedisPresenceStoreOptions.ttlMs}: three times the 180 s presence timeout. */
export const DEFAULT_REDIS_TTL_MS = 3 * 180_000;

/** Options of {@link RedisPresenceStore}. Give at most one of `client`, `url`, `clusterNodes`. */
export interface RedisPresenceStoreOptions {
  /** An ioredis `Redis` or `Cluster` client to use; the store never closes it. Must not set ioredis' own `keyPrefix`. */
  readonly client?: Redis | Cluster;
  /** URL of a single Redis node; the store creates (lazily) and owns the client. @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /** Seed nodes of a Redis Cluster; the store creates (lazily) and owns a `Cluster` client. */
  readonly clusterNodes?: readonly ClusterNode[];
  /** Options of the single-node client the store creates. */
  readonly redisOptions?: RedisOptions;
  /** Options of the cluster client the store creates. */
  readonly clusterOptions?: ClusterOptions;
  /** Prefix of every key (no braces, no whitespace), so deployments can share one Redis. @default 'presence' */
  readonly keyPrefix?: string;
  /** TTL safety net of every presence key, refreshed on activity, in milliseconds. @default 540_000 */
  readonly ttlMs?: number;
  /**
   * Number of sweep buckets. Also the number of hash tags user data spreads over on a cluster, so
   * keep it at least a few times the number of shards. Changing it moves every user (they
   * re-register on their next heartbeat; the old keys expire by TTL). @default 64
   */
  readonly sweepBuckets?: number;
  /** How long the caller that recorded or claimed an outbox entry has before it can be claimed again (ms). @default 30_000 */
  readonly outboxLeaseMs?: number;
  /**
   * Outbox entries recorded longer ago than this are dropped unannounced (ms): the bound on the
   * outbox's size, and what a fault longer than it loses (see the README). @default 3_600_000
   */
  readonly outboxTtlMs?: number;
  /** How long the last activity of a user who went offline is kept (ms); 0 keeps none. @default 2_592_000_000 (30 days) */
  readonly lastSeenRetentionMs?: number;
  /** Limits checked on ids and pages. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
}

function duration(value: number, name: string, allowZero: boolean): number {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer of milliseconds, got ${value}`,
    );
  }
  return value;
}

/**
 * {@link @presence/core!PresenceStore | PresenceStore} (with its
 * {@link @presence/core!OfflineOutbox | OfflineOutbox}, {@link @presence/core!SweepMarkers | SweepMarkers}
 * and {@link @presence/core!LastSeenSource | LastSeenSource}) on Redis through ioredis, on a single node or a Redis Cluster. Every write
 * is one Lua script on the user's slot (plus, on a cluster, the connection record in the same round
 * trip); batch reads are pipelined per node; the sweep runs one script per bucket, in parallel.
 * @example
 * const store = new RedisPresenceStore({ url: 'redis://127.0.0.1:6379' });
 * await store.touch({ userId: 'alice', connectionId: 'L0SM9cOFvHcCIhw=' }, Date.now());
 */
export class RedisPresenceStore implements DurablePresenceStore {
  /** The key names this store uses. */
  readonly keys: RedisKeyLayout;
  /** Prefix of every key. */
  readonly keyPrefix: string;
  /** TTL of every presence key, in milliseconds. */
  readonly ttlMs: number;
  /** Number of sweep buckets. */
  readonly sweepBuckets: number;
  /** The partitions of {@link @presence/core!SweepMarkers | SweepMarkers}: the sweep buckets. */
  readonly partitions: number;
  readonly #limits: PresenceLimits;
  readonly #options: RedisPresenceStoreOptions;
  readonly #owned: boolean;
  readonly #internals: StoreInternals;
  #client: ScriptClient | undefined;
  #closed = false;
  #sweepCursor = 0;
  #claimCursor = 0;

  constructor(options: RedisPresenceStoreOptions = {}) {
    const sources = [options.client, options.url, options.clusterNodes].filter(
      (source) => source !== undefined,
    );
    if (sources.length > 1) {
      throw new ConfigError('give at most one of client, url and clusterNodes');
    }
    const clientPrefix = (options.client?.options as { keyPrefix?: string } | undefined)?.keyPrefix;
    if (clientPrefix) {
      throw new ConfigError(
        "the ioredis client must not set keyPrefix (the scripts build keys): use the store's keyPrefix",
      );
    }
    this.keys = new RedisKeyLayout(
      options.keyPrefix ?? DEFAULT_KEY_PREFIX,
      options.sweepBuckets ?? DEFAULT_SWEEP_BUCKETS,
    );
    this.keyPrefix = this.keys.prefix;
    this.sweepBuckets = this.keys.buckets;
    this.partitions = this.keys.buckets;
    this.ttlMs = duration(options.ttlMs ?? DEFAULT_REDIS_TTL_MS, 'ttlMs', false);
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#options = options;
    this.#owned = options.client === undefined;
    if (options.client !== undefined) this.#client = defineScripts(options.client);
    this.#internals = {
      keys: this.keys,
      pipelines: new NodePipelines(() => this.#redis(), this.keys),
      durations: {
        ttlMs: this.ttlMs,
        outboxLeaseMs: duration(
          options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS,
          'outboxLeaseMs',
          true,
        ),
        outboxTtlMs: duration(options.outboxTtlMs ?? DEFAULT_OUTBOX_TTL_MS, 'outboxTtlMs', false),
        lastSeenRetentionMs: duration(
          options.lastSeenRetentionMs ?? DEFAULT_LAST_SEEN_RETENTION_MS,
          'lastSeenRetentionMs',
          true,
        ),
      },
      client: () => this.#redis(),
      isCluster: () => this.isCluster,
      nextClaim: claimTokens(),
    };
  }

  /** The outbox and last-seen durations in force (ms). */
  get durations(): StoreInternals['durations'] {
    return this.#internals.durations;
  }

  /** How long the last activity of a user who went offline is kept (ms); 0: none. */
  get lastSeenRetentionMs(): number {
    return this.#internals.durations.lastSeenRetentionMs;
  }

  /** The ioredis client; created (without connecting) on first use when the store owns it. */
  get client(): Client {
    return this.#client ?? this.#redis();
  }

  /** True when the client is a Redis Cluster: writes then also send the connection record apart. */
  get isCluster(): boolean {
    return (this.#redis() as { isCluster?: boolean }).isCluster === true;
  }

  async addConnection(
    ref: ConnectionRef,
    now: number,
    options: UpsertOptions = {},
  ): Promise<TouchResult> {
    const page = HIDDEN_PAGE;
    const write = { ref, now, mode: 't' as const, page, shared: false, options };
    return touchResult(await upsert(this.#internals, this.#limits, 'addConnection', write));
  }

  async touch(ref: ConnectionRef, now: number, options: FrameOptions = {}): Promise<TouchResult> {
    const page = HIDDEN_PAGE;
    const write = { ref, now, mode: 't' as const, page, shared: false, options };
    return touchResult(await upsert(this.#internals, this.#limits, 'touch', write));
  }

  async setPage(
    ref: ConnectionRef,
    page: Page,
    shared: boolean,
    now: number,
    options: PageOptions = {},
  ): Promise<SetPageResult> {
    if (typeof page !== 'object' || page === null) {
      throw new InvalidInputError('page must be an object with url and title');
    }
    const { url, title } = page;
    if (typeof url !== 'string' || url.length > this.#limits.maxUrlLength) {
      throw new InvalidInputError(
        `page url must be a string of at most ${this.#limits.maxUrlLength} characters`,
      );
    }
    if (typeof title !== 'string' || title.length > this.#limits.maxTitleLength) {
      throw new InvalidInputError(
        `page title must be a string of at most ${this.#limits.maxTitleLength} characters`,
      );
    }
    const write = { ref, now, mode: 'p' as const, page: { url, title }, shared, options };
    const written = await upsert(this.#internals, this.#limits, 'setPage', write);
    const result = touchResult(written);
    if (result.rateLimited) return { ...result, latestPage: null };
    const latestPage = latestFromPairs(written.rest);
    return written.unchanged
      ? { ...result, latestPage, unchanged: true }
      : { ...result, latestPage };
  }

  async removeConnection(
    connectionId: string,
    options: RemoveOptions = {},
  ): Promise<RemovedConnection | undefined> {
    return remove(this.#internals, this.#limits, connectionId, options);
  }

  async userOfConnection(connectionId: string): Promise<string | undefined> {
    if (!isValid(() => assertConnectionId(connectionId, this.#limits))) return undefined;
    try {
      const value = await this.#redis().get(this.keys.connectionKey(connectionId));
      return value === null ? undefined : this.keys.parseOwner(value)?.userId;
    } catch (error) {
      throw unavailable('userOfConnection', error);
    }
  }

  async connectionsOf(
    userIds: readonly string[],
    seenSince?: number,
  ): Promise<Map<string, string[]>> {
    return reads.connectionsOf(this.#internals, this.#readableIds(userIds), seenSince);
  }

  async presenceOf(userIds: readonly string[]): Promise<Map<string, OnlineRecord>> {
    return reads.presenceOf(this.#internals, this.#readableIds(userIds));
  }

  async liveUsers(seenSince: number, limit: number): Promise<string[] | undefined> {
    return reads.liveUsers(this.#internals, seenSince, limit);
  }

  async sweep(cutoff: number, limit: number, options: SweepCallOptions = {}): Promise<SweepBatch> {
    assertTime(cutoff, 'cutoff');
    assertLimit(limit, 'sweep limit');
    const now = options.now === undefined ? Date.now() : assertTime(options.now, 'now');
    const start = this.#sweepCursor;
    this.#sweepCursor = (start + 1) % this.sweepBuckets;
    return sweepBuckets(this.#internals, cutoff, limit, now, start);
  }

  async claimOutbox(now: number, limit: number): Promise<OutboxEntry[]> {
    assertTime(now, 'now');
    assertLimit(limit, 'claim limit');
    const start = this.#claimCursor;
    this.#claimCursor = (start + 1) % this.sweepBuckets;
    return durable.claimOutbox(this.#internals, now, limit, start);
  }

  async ackOutbox(entries: readonly OutboxEntry[]): Promise<number> {
    if (!Array.isArray(entries)) throw new InvalidInputError('entries must be an array');
    return durable.ackOutbox(this.#internals, entries);
  }

  partitionOf(userId: string): number {
    return this.keys.bucketOf(userId);
  }

  async markSweep(
    now: number,
    gapMs: number,
    options: { readonly deadline?: number } = {},
  ): Promise<PartitionMark[]> {
    const deadline =
      options.deadline === undefined ? undefined : assertTime(options.deadline, 'deadline');
    return durable.markSweep(
      this.#internals,
      assertTime(now, 'now'),
      assertTime(gapMs, 'gapMs'),
      deadline,
    );
  }

  async markReconciled(progress: readonly ReconcileProgress[]): Promise<void> {
    return durable.markReconciled(this.#internals, progress);
  }

  async liveUsersIn(partition: number, seenSince: number): Promise<string[]> {
    return durable.liveUsersIn(this.#internals, partition, assertTime(seenSince, 'seenSince'));
  }

  async lastSeenOf(userIds: readonly string[]): Promise<Map<string, number>> {
    return durable.lastSeenOf(this.#internals, this.#readableIds(userIds));
  }

  async presenceWithLastSeenOf(userIds: readonly string[]): Promise<PresenceWithLastSeen> {
    return reads.presenceWithLastSeenOf(this.#internals, this.#readableIds(userIds));
  }

  /** Closes the client if the store created it; a given client is left open. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const client = this.#client;
    this.#closed = true;
    if (!this.#owned || client === undefined) return;
    if (client.status === 'wait' || client.status === 'end') {
      client.disconnect();
      return;
    }
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  #redis(): ScriptClient {
    if (this.#closed) throw new StoreUnavailableError('the Redis presence store is closed');
    if (this.#client === undefined) {
      const options = this.#options;
      this.#client = defineScripts(
        options.clusterNodes !== undefined
          ? new Cluster([...options.clusterNodes], { lazyConnect: true, ...options.clusterOptions })
          : new Redis(options.url ?? 'redis://127.0.0.1:6379', {
              lazyConnect: true,
              ...options.redisOptions,
            }),
      );
    }
    return this.#client;
  }

  /** The distinct ids of a batch read; ids that could never be written cannot be online: left out, like unknown ids. */
  #readableIds(userIds: readonly string[]): string[] {
    if (!Array.isArray(userIds)) throw new InvalidInputError('userIds must be an array');
    return [...new Set(userIds)].filter((id) => isValid(() => checkUserId(id, this.#limits)));
  }
}
