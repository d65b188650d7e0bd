import {
  assertConnectionId,
  ConfigError,
  type ConnectionRef,
  DEFAULT_LIMITS,
  HIDDEN_PAGE,
  InvalidInputError,
  type OnlineRecord,
  type Page,
  PresenceError,
  type PresenceLimits,
  type PresenceStore,
  type RemovedConnection,
  type SetPageResult,
  StoreUnavailableError,
  type SweepBatch,
  type TouchResult,
} from '@presence/core';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_KEY_PREFIX, DEFAULT_SWEEP_BUCKETS, RedisKeyLayout } from './key-layout.js';
import {
  DELETE_IF_EQUAL_LUA,
  DETACH_LUA,
  LIVE_CONNECTIONS_LUA,
  REMOVE_LUA,
  SWEEP_LUA,
  TOUCH_LUA,
} from './scripts.js';

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
  /** TTL safety net of every key, refreshed on activity, in milliseconds. @default 540_000 */
  readonly ttlMs?: number;
  /**
   * Number of sweep buckets. Also the number of hash tags user data spreads over on a cluster, so
   * keep it at least a few times the number of shards. Changing it moves every user (they
   * re-register on their next heartbeat; the old keys expire by TTL). @default 64
   */
  readonly sweepBuckets?: number;
  /** Limits checked on ids and pages. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
}

/** What {@link RedisPresenceStore.sweepAll} removed over all its batches. */
export interface SweepAllResult {
  /** Connections removed. */
  readonly expired: ConnectionRef[];
  /** Users that went offline. */
  readonly offline: string[];
  /** Number of {@link RedisPresenceStore.sweep} calls made. */
  readonly batches: number;
}

type Client = Redis | Cluster;
type Reply = unknown;

interface ScriptCommands {
  presenceTouchV1Cluster(...args: (string | number)[]): Promise<Reply>;
  presenceTouchV1Single(...args: (string | number)[]): Promise<Reply>;
  presenceRemoveV1(...args: (string | number)[]): Promise<Reply>;
  presenceDetachV1(...args: (string | number)[]): Promise<Reply>;
  presenceDeleteIfEqualV1(...args: (string | number)[]): Promise<Reply>;
  presenceSweepV1(...args: (string | number)[]): Promise<Reply>;
  presenceLiveConnectionsV1(...args: (string | number)[]): Promise<Reply>;
}

/** Users per live-connections script call: bounds how long one call holds Redis (~1 ms). */
const LIVE_KEYS_PER_CALL = 500;

const defined = new WeakSet<object>();

/** Registers the scripts on a client once (ioredis sends EVALSHA and reloads on NOSCRIPT). */
function defineScripts(client: Client): Client & ScriptCommands {
  if (!defined.has(client)) {
    client.defineCommand('presenceTouchV1Cluster', { lua: TOUCH_LUA, numberOfKeys: 2 });
    client.defineCommand('presenceTouchV1Single', { lua: TOUCH_LUA, numberOfKeys: 3 });
    client.defineCommand('presenceRemoveV1', { lua: REMOVE_LUA, numberOfKeys: 1 });
    client.defineCommand('presenceDetachV1', { lua: DETACH_LUA, numberOfKeys: 2 });
    client.defineCommand('presenceDeleteIfEqualV1', { lua: DELETE_IF_EQUAL_LUA, numberOfKeys: 1 });
    client.defineCommand('presenceSweepV1', { lua: SWEEP_LUA, numberOfKeys: 1 });
    // Variable key count: the first argument is the number of keys.
    client.defineCommand('presenceLiveConnectionsV1', { lua: LIVE_CONNECTIONS_LUA });
    defined.add(client);
  }
  return client as Client & ScriptCommands;
}

function unavailable(operation: string, error: unknown): PresenceError {
  if (PresenceError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`Redis ${operation} failed: ${reason}`, { cause: error });
}

function assertTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(`${field} must be a finite number of milliseconds`);
  }
  return value;
}

/**
 * The store needs only a non-empty string of bounded length: ids are written after the first space
 * of a member or record, or after the `}` of a key, so any character is safe. (Core's stricter
 * `assertUserId` is the service's business; the conformance suite uses ids with spaces.)
 */
function checkUserId(value: unknown, limits: PresenceLimits): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError('userId must be a non-empty string');
  }
  if (value.length > limits.maxUserIdLength) {
    throw new InvalidInputError(`userId is longer than ${limits.maxUserIdLength} characters`);
  }
  return value;
}

function isValid(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

/** Largest chunk of a stored url or title, in UTF-8 bytes: Redis' default `hash-max-listpack-value`. */
const CHUNK_BYTES = 64;

/** Splits text into pieces of at most {@link CHUNK_BYTES} UTF-8 bytes, never inside a code point. */
export function chunkText(text: string): string[] {
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > CHUNK_BYTES) {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** Joins the chunk fields `<name>0`, `<name>1`, ... of a user hash. */
function joinChunks(fields: Record<string, string>, name: string): string | undefined {
  let text: string | undefined;
  for (let i = 0; ; i++) {
    const chunk = fields[`${name}${i}`];
    if (chunk === undefined) return text;
    text = (text ?? '') + chunk;
  }
}

/** The page stored under the chunk fields `<prefix>u*` / `<prefix>t*`, or `null` when none. */
function pageOf(fields: Record<string, string>, prefix: '' | 'l'): Page | null {
  const url = joinChunks(fields, `${prefix}u`);
  if (url === undefined || url === '') return null;
  return { url, title: joinChunks(fields, `${prefix}t`) ?? '' };
}

/**
 * {@link PresenceStore} on Redis through ioredis, on a single node or a Redis Cluster. Every write is
 * one Lua script on the user's slot (plus, on a cluster, the connection record in the same round
 * trip); batch reads are pipelined per node; the sweep runs one script per bucket, in parallel.
 * @example
 * const store = new RedisPresenceStore({ url: 'redis://127.0.0.1:6379' });
 * await store.touch({ userId: 'alice', connectionId: 'L0SM9cOFvHcCIhw=' }, Date.now());
 */
export class RedisPresenceStore implements PresenceStore {
  /** The key names this store uses. */
  readonly keys: RedisKeyLayout;
  /** Prefix of every key. */
  readonly keyPrefix: string;
  /** TTL of every key, in milliseconds. */
  readonly ttlMs: number;
  /** Number of sweep buckets. */
  readonly sweepBuckets: number;
  readonly #limits: PresenceLimits;
  readonly #options: RedisPresenceStoreOptions;
  readonly #owned: boolean;
  #client: (Client & ScriptCommands) | undefined;
  #closed = false;
  #sweepCursor = 0;
  #bucketSlots: number[] = [];

  constructor(options: RedisPresenceStoreOptions = {}) {
    const sources = [options.client, options.url, options.clusterNodes].filter(
      (source) => source !== undefined,
    );
    if (sources.length > 1) {
      throw new ConfigError('give at most one of client, url and clusterNodes');
    }
    const ttlMs = options.ttlMs ?? DEFAULT_REDIS_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
      throw new ConfigError(`ttlMs must be a positive integer of milliseconds, got ${ttlMs}`);
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
    this.ttlMs = ttlMs;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#options = options;
    this.#owned = options.client === undefined;
    if (options.client !== undefined) this.#client = defineScripts(options.client);
  }

  /** The ioredis client; created (without connecting) on first use when the store owns it. */
  get client(): Client {
    return this.#client ?? this.#redis();
  }

  /** True when the client is a Redis Cluster: writes then also send the connection record apart. */
  get isCluster(): boolean {
    return (this.#redis() as { isCluster?: boolean }).isCluster === true;
  }

  async addConnection(ref: ConnectionRef, now: number): Promise<TouchResult> {
    const reply = await this.#write('addConnection', ref, now, 't', HIDDEN_PAGE, false);
    return { wasRegistered: reply === 1 };
  }

  async touch(ref: ConnectionRef, now: number): Promise<TouchResult> {
    const reply = await this.#write('touch', ref, now, 't', HIDDEN_PAGE, false);
    return { wasRegistered: reply === 1 };
  }

  async setPage(
    ref: ConnectionRef,
    page: Page,
    shared: boolean,
    now: number,
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
    const reply = (await this.#write('setPage', ref, now, 'p', { url, title }, shared)) as [
      number,
      ...string[],
    ];
    const latest: Record<string, string> = {};
    for (let i = 1; i + 1 < reply.length; i += 2)
      latest[reply[i] as string] = reply[i + 1] as string;
    return { wasRegistered: reply[0] === 1, latestPage: pageOf(latest, 'l') };
  }

  async removeConnection(connectionId: string): Promise<RemovedConnection | undefined> {
    if (!isValid(() => assertConnectionId(connectionId, this.#limits))) return undefined;
    const client = this.#redis();
    const recordKey = this.keys.connectionKey(connectionId);
    try {
      if (!this.isCluster) {
        const reply = (await client.presenceRemoveV1(recordKey, connectionId, this.keys.base)) as
          | [string, number]
          | null;
        return reply ? { userId: reply[0], userOffline: reply[1] === 1 } : undefined;
      }
      // A cluster cannot reach the user's slot from the connection id: read the owner first, then
      // detach from the user's slot and drop the record (if still that owner's) in parallel.
      const value = await client.get(recordKey);
      const owner = value === null ? undefined : this.keys.parseOwner(value);
      if (owner === undefined) return undefined;
      const [offline] = await Promise.all([
        client.presenceDetachV1(
          this.keys.userKey(owner.userId, owner.bucket),
          this.keys.bucketKey(owner.bucket),
          connectionId,
          owner.userId,
        ),
        client.presenceDeleteIfEqualV1(recordKey, value as string),
      ]);
      // -1: a concurrent remove or sweep detached it first and reports it; this call found nothing.
      return offline === -1 ? undefined : { userId: owner.userId, userOffline: offline === 1 };
    } catch (error) {
      throw unavailable('removeConnection', error);
    }
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
    const result = new Map<string, string[]>();
    if (seenSince === undefined) {
      for (const [userId, fields] of await this.#readUsers('connectionsOf', userIds, 'hkeys')) {
        const connections = (fields as string[])
          .filter((field) => field.startsWith('c:'))
          .map((field) => field.slice(2));
        if (connections.length > 0) result.set(userId, connections);
      }
      return result;
    }
    assertTime(seenSince, 'seenSince');
    // One script per bucket (one slot) and up to LIVE_KEYS_PER_CALL users, pipelined per node:
    // Redis compares each connection's last-seen and sends back only the live ones.
    const byBucket = new Map<number, string[]>();
    for (const id of this.#readableIds(userIds)) {
      const bucket = this.keys.bucketOf(id);
      const users = byBucket.get(bucket);
      if (users) users.push(id);
      else byBucket.set(bucket, [id]);
    }
    const calls: Array<{ bucket: number; users: string[] }> = [];
    for (const [bucket, users] of byBucket) {
      for (let i = 0; i < users.length; i += LIVE_KEYS_PER_CALL) {
        calls.push({ bucket, users: users.slice(i, i + LIVE_KEYS_PER_CALL) });
      }
    }
    if (calls.length === 0) return result;
    let replies: unknown[];
    try {
      replies = await this.#perNode(
        calls,
        (call) => call.bucket,
        (call) => [
          'presenceLiveConnectionsV1',
          String(call.users.length),
          ...call.users.map((id) => this.keys.userKey(id, call.bucket)),
          String(seenSince),
        ],
      );
    } catch (error) {
      throw unavailable('connectionsOf', error);
    }
    calls.forEach((call, i) => {
      const live = replies[i] as string[][];
      call.users.forEach((id, j) => {
        const connections = live[j];
        if (connections !== undefined && connections.length > 0) result.set(id, connections);
      });
    });
    return result;
  }

  async presenceOf(userIds: readonly string[]): Promise<Map<string, OnlineRecord>> {
    const replies = await this.#readUsers('presenceOf', userIds, 'hgetall');
    const result = new Map<string, OnlineRecord>();
    for (const [userId, hash] of replies) {
      const fields = hash as Record<string, string>;
      if (!Object.keys(fields).some((field) => field.startsWith('c:'))) continue;
      result.set(userId, {
        page: pageOf(fields, '') ?? HIDDEN_PAGE,
        latestPage: fields.L === undefined ? pageOf(fields, 'l') : pageOf(fields, ''),
      });
    }
    return result;
  }

  async liveUsers(seenSince: number, limit: number): Promise<string[] | undefined> {
    assertTime(seenSince, 'seenSince');
    if (!Number.isInteger(limit) || limit < 0) {
      throw new InvalidInputError(`liveUsers limit must be a whole number, got ${limit}`);
    }
    // Round trip 1: count the live members of every bucket; round trip 2 (only when few enough):
    // read them. Members are `<connectionId> <userId>` and connection ids hold no space.
    const buckets = Array.from({ length: this.sweepBuckets }, (_, bucket) => bucket);
    const since = String(seenSince);
    try {
      const counts = await this.#perNode(
        buckets,
        (bucket) => bucket,
        (bucket) => ['zcount', this.keys.bucketKey(bucket), since, '+inf'],
      );
      const total = counts.reduce<number>((sum, n) => sum + Number(n), 0);
      if (total > limit) return undefined;
      const populated = buckets.filter((bucket) => Number(counts[bucket]) > 0);
      if (populated.length === 0) return [];
      const members = await this.#perNode(
        populated,
        (bucket) => bucket,
        (bucket) => ['zrangebyscore', this.keys.bucketKey(bucket), since, '+inf'],
      );
      const users = new Set<string>();
      for (const list of members as string[][]) {
        for (const member of list) users.add(member.slice(member.indexOf(' ') + 1));
      }
      return [...users];
    } catch (error) {
      throw unavailable('liveUsers', error);
    }
  }

  async sweep(cutoff: number, limit: number): Promise<SweepBatch> {
    assertTime(cutoff, 'cutoff');
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidInputError(`sweep limit must be a positive integer, got ${limit}`);
    }
    const client = this.#redis();
    const single = this.isCluster ? '0' : '1';
    const count = this.sweepBuckets;
    // Round trip 1: count the stale members of every bucket (pipelined per node). Round trip 2:
    // sweep only the buckets that have some, with the budget handed out so that exactly
    // min(limit, stale) go. The start rotates so that small limits visit every bucket in turn.
    const bucketIds = Array.from({ length: count }, (_, bucket) => bucket);
    let counts: unknown[];
    try {
      counts = await this.#perNode(
        bucketIds,
        (bucket) => bucket,
        (bucket) => ['zcount', this.keys.bucketKey(bucket), '-inf', `(${cutoff}`],
      );
    } catch (error) {
      throw unavailable('sweep', error);
    }
    const start = this.#sweepCursor;
    this.#sweepCursor = (start + 1) % count;
    let remaining = limit;
    let more = false;
    const budgets = new Map<number, number>();
    for (let rank = 0; rank < count; rank++) {
      const bucket = (start + rank) % count;
      const stale = Number(counts[bucket]);
      if (stale <= 0) continue;
      if (remaining === 0) {
        more = true;
        continue;
      }
      const budget = Math.min(stale, remaining);
      budgets.set(bucket, budget);
      remaining -= budget;
    }
    const swept = [...budgets.keys()];
    const calls = swept.map((bucket) =>
      client.presenceSweepV1(
        this.keys.bucketKey(bucket),
        String(cutoff),
        budgets.get(bucket) as number,
        this.keys.base,
        bucket,
        single,
      ),
    );
    const settled = await Promise.allSettled(calls);
    const expired: ConnectionRef[] = [];
    const offline: string[] = [];
    const records: Promise<unknown>[] = [];
    let failure: unknown;
    settled.forEach((outcome, index) => {
      const bucket = swept[index] as number;
      if (outcome.status === 'rejected') {
        failure ??= outcome.reason;
        return;
      }
      const [bucketMore, pairs, gone] = outcome.value as [number, string[], string[]];
      if (bucketMore === 1) more = true;
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const connectionId = pairs[i] as string;
        const userId = pairs[i + 1] as string;
        expired.push({ userId, connectionId });
        if (single === '0') {
          records.push(
            client.presenceDeleteIfEqualV1(
              this.keys.connectionKey(connectionId),
              this.keys.owner(userId, bucket),
            ),
          );
        }
      }
      offline.push(...gone);
    });
    // On a cluster the connection records live in other slots: drop them after the atomic step.
    // A failure here is harmless (records expire by TTL and are rewritten by the next touch).
    await Promise.allSettled(records);
    if (failure !== undefined) {
      // Buckets that failed were left untouched; report what the others removed, or fail outright.
      if (expired.length === 0) throw unavailable('sweep', failure);
      more = true;
    }
    return { expired, offline, more };
  }

  /**
   * Runs {@link sweep} in batches of `batchLimit` until nothing stale remains before `cutoff`, over
   * every bucket. For schedulers and benchmarks.
   */
  async sweepAll(cutoff: number, batchLimit = 1000): Promise<SweepAllResult> {
    const expired: ConnectionRef[] = [];
    const offline: string[] = [];
    let batches = 0;
    for (;;) {
      const batch = await this.sweep(cutoff, batchLimit);
      batches++;
      expired.push(...batch.expired);
      offline.push(...batch.offline);
      if (!batch.more) return { expired, offline, batches };
    }
  }

  /** Deletes every key under this store's prefix (SCAN + UNLINK on every master). For tests and benchmarks. */
  async clear(): Promise<void> {
    const client = this.#redis();
    try {
      // A lazily connected cluster knows its masters only once it has loaded the slot map.
      if (this.isCluster && client.status !== 'ready') await client.ping();
      const nodes: Redis[] = this.isCluster
        ? (client as Cluster).nodes('master')
        : [client as Redis];
      await Promise.all(
        nodes.map(async (node) => {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.pattern, 'COUNT', 1000);
            cursor = next;
            // One UNLINK per key: keys of one SCAN page may span slots.
            if (keys.length > 0) {
              const pipeline = node.pipeline();
              for (const key of keys) pipeline.unlink(key);
              await pipeline.exec();
            }
          } while (cursor !== '0');
        }),
      );
    } catch (error) {
      throw unavailable('clear', error);
    }
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

  #redis(): Client & ScriptCommands {
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

  async #write(
    operation: string,
    ref: ConnectionRef,
    now: number,
    mode: 't' | 'p',
    page: Page,
    shared: boolean,
  ): Promise<Reply> {
    if (typeof ref !== 'object' || ref === null) {
      throw new InvalidInputError('ref must be an object with userId and connectionId');
    }
    const userId = checkUserId(ref.userId, this.#limits);
    const connectionId = assertConnectionId(ref.connectionId, this.#limits);
    assertTime(now, 'now');
    const client = this.#redis();
    const bucket = this.keys.bucketOf(userId);
    const userKey = this.keys.userKey(userId, bucket);
    const bucketKey = this.keys.bucketKey(bucket);
    const recordKey = this.keys.connectionKey(connectionId);
    const owner = this.keys.owner(userId, bucket);
    const urlChunks = chunkText(page.url);
    const titleChunks = urlChunks.length === 0 ? [] : chunkText(page.title);
    const args = [
      connectionId,
      userId,
      String(now),
      this.ttlMs,
      bucket,
      this.keys.base,
      mode,
      shared ? '1' : '0',
      urlChunks.length,
      titleChunks.length,
      ...urlChunks,
      ...titleChunks,
    ];
    try {
      if (!this.isCluster) {
        return await client.presenceTouchV1Single(userKey, bucketKey, recordKey, ...args);
      }
      // The record has its own slot: write it in the same round trip, beside the user's script.
      const [reply, previous] = await Promise.all([
        client.presenceTouchV1Cluster(userKey, bucketKey, ...args),
        client.set(recordKey, owner, 'PX', this.ttlMs, 'GET'),
      ]);
      if (previous !== null && previous !== owner) {
        // The connection id belonged to another user (rare): detach it there.
        const moved = this.keys.parseOwner(previous);
        if (moved !== undefined) {
          await client.presenceDetachV1(
            this.keys.userKey(moved.userId, moved.bucket),
            this.keys.bucketKey(moved.bucket),
            connectionId,
            moved.userId,
          );
        }
      }
      return reply;
    } catch (error) {
      throw unavailable(operation, error);
    }
  }

  /** The distinct ids of a batch read; ids that could never be written cannot be online: left out, like unknown ids. */
  #readableIds(userIds: readonly string[]): string[] {
    if (!Array.isArray(userIds)) throw new InvalidInputError('userIds must be an array');
    return [...new Set(userIds)].filter((id) => isValid(() => checkUserId(id, this.#limits)));
  }

  async #readUsers(
    operation: string,
    userIds: readonly string[],
    command: 'hkeys' | 'hgetall',
  ): Promise<Array<[string, unknown]>> {
    const ids = this.#readableIds(userIds);
    if (ids.length === 0) return [];
    const buckets = ids.map((id) => this.keys.bucketOf(id));
    try {
      const replies = await this.#perNode(
        ids.map((_, index) => index),
        (index) => buckets[index] as number,
        (index) => [command, this.keys.userKey(ids[index] as string, buckets[index])],
      );
      return ids.map((id, index) => [id, replies[index]]);
    } catch (error) {
      throw unavailable(operation, error);
    }
  }

  /**
   * Runs one single-key command per item, pipelined: one pipeline on a single node, one per master
   * on a cluster (grouped by the bucket's slot), all in parallel. Replies come back in item order.
   */
  async #perNode<T>(
    items: readonly T[],
    bucketOf: (item: T) => number,
    commandOf: (item: T) => string[],
  ): Promise<unknown[]> {
    const client = this.#redis();
    const cluster = this.isCluster ? (client as Cluster) : undefined;
    const groups = new Map<string, number[]>();
    items.forEach((item, index) => {
      const group = cluster ? this.#nodeOf(cluster, bucketOf(item)) : '';
      const members = groups.get(group);
      if (members) members.push(index);
      else groups.set(group, [index]);
    });
    const results: unknown[] = new Array(items.length);
    const run = async (positions: number[]) => {
      const replies = await this.#exec(
        client,
        positions.map((position) => commandOf(items[position] as T)),
      );
      positions.forEach((position, i) => {
        results[position] = replies[i];
      });
    };
    await Promise.all(
      [...groups.values()].map(async (positions) => {
        try {
          await run(positions);
        } catch (error) {
          // The slot map moved between grouping and sending: fall back to one pipeline per slot.
          if (!cluster || !(error instanceof Error) || !/same slot/i.test(error.message))
            throw error;
          const bySlot = new Map<number, number[]>();
          for (const position of positions) {
            const slot = this.#slotOf(bucketOf(items[position] as T));
            const list = bySlot.get(slot);
            if (list) list.push(position);
            else bySlot.set(slot, [position]);
          }
          await Promise.all([...bySlot.values()].map(run));
        }
      }),
    );
    return results;
  }

  async #exec(client: Client, commands: string[][]): Promise<unknown[]> {
    const results = await client.pipeline(commands).exec();
    if (results === null) throw new Error('pipeline aborted');
    return results.map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  }

  #slotOf(bucket: number): number {
    let slot = this.#bucketSlots[bucket];
    if (slot === undefined) {
      slot = calculateSlot(this.keys.bucketKey(bucket));
      this.#bucketSlots[bucket] = slot;
    }
    return slot;
  }

  /** The master serving a bucket's slot (by the client's slot map), or the slot when unknown. */
  #nodeOf(cluster: Cluster, bucket: number): string {
    const slot = this.#slotOf(bucket);
    return cluster.slots[slot]?.[0] ?? `slot:${slot}`;
  }
}
