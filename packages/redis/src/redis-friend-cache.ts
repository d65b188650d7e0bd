import { randomUUID } from 'node:crypto';
import {
  ConfigError,
  DEFAULT_INVALIDATION_WINDOW_MS,
  DEFAULT_LIMITS,
  type FriendCache,
  type FriendCacheLookup,
  type FriendsAndSettings,
  friendCacheEntry,
  friendCacheId,
  friendCacheIds,
  friendCacheTtl,
  PresenceError,
  type PresenceLimits,
  StoreUnavailableError,
} from '@presence/core';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_KEY_PREFIX, fnv1a32 } from './key-layout.js';

/** Options of {@link RedisFriendCache}. Give at most one of `client`, `url`, `clusterNodes`. */
export interface RedisFriendCacheOptions {
  /** An ioredis `Redis` or `Cluster` (the store's may be shared); never closed by the cache. */
  readonly client?: Redis | Cluster;
  /** URL of a single node; the cache creates (lazily) and owns the client. @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /** Seed nodes of a Redis Cluster; the cache creates (lazily) and owns a `Cluster`. */
  readonly clusterNodes?: readonly ClusterNode[];
  /** Options of the single-node client the cache creates. */
  readonly redisOptions?: RedisOptions;
  /** Options of the cluster client the cache creates. */
  readonly clusterOptions?: ClusterOptions;
  /** Prefix of every key (no braces, no whitespace); keys are `<prefix>:f:…`. @default 'presence' */
  readonly keyPrefix?: string;
  /**
   * How long an invalidation voids the versions handed out before it (the lifetime of the
   * generation key): longer than any friend-graph read may take. @default 60_000
   */
  readonly invalidationWindowMs?: number;
  /** Id limits. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
}

type Client = Redis | Cluster;

interface ScriptCommands {
  presenceFriendCacheSetV1(
    entryKey: string,
    generationKey: string,
    ...args: string[]
  ): Promise<number>;
}

// Stores the entry only while the generation is the one the reader saw ('' = none): an
// invalidation in between changed it, so a read that started before cannot put its answer back.
const SET_LUA = `
local g = redis.call('GET', KEYS[2]) or ''
if g ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

// Voids outstanding versions (a fresh random generation for the window) and drops the entry.
const INVALIDATE_LUA = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1`;

const defined = new WeakSet<object>();

function defineScripts(client: Client): Client & ScriptCommands {
  if (!defined.has(client)) {
    client.defineCommand('presenceFriendCacheSetV1', { lua: SET_LUA, numberOfKeys: 2 });
    client.defineCommand('presenceFriendCacheInvalidateV1', {
      lua: INVALIDATE_LUA,
      numberOfKeys: 2,
    });
    defined.add(client);
  }
  return client as Client & ScriptCommands;
}

function unavailable(operation: string, error: unknown): PresenceError {
  if (PresenceError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`Redis friend cache ${operation} failed: ${reason}`, {
    cause: error,
  });
}

/** `{"f":[...],"s":{"m","a","d"}}`: compact, and `s` absent when the user has no settings. */
function encode(entry: FriendsAndSettings): string {
  const s = entry.settings;
  return JSON.stringify(
    s === undefined
      ? { f: entry.friends }
      : { f: entry.friends, s: { m: s.shareMode, a: s.domainAllowList, d: s.domainDenyList } },
  );
}

/** The entry of a stored value, or `undefined` when it is not one (then it is a miss). */
function decode(value: string): FriendsAndSettings | undefined {
  try {
    const raw = JSON.parse(value) as { f?: unknown; s?: { m?: unknown; a?: unknown; d?: unknown } };
    return friendCacheEntry({
      friends: raw.f as string[],
      settings:
        raw.s === undefined
          ? undefined
          : {
              shareMode: raw.s.m as 'default_all',
              domainAllowList: raw.s.a as string[],
              domainDenyList: raw.s.d as string[],
            },
    });
  } catch {
    return undefined;
  }
}

/**
 * {@link FriendCache} on Redis (ioredis), single node or cluster: per user a string entry
 * (`<prefix>:f:{<h>}:e:<userId>`, JSON, TTL = the graph's `friendCacheSeconds`) and a generation
 * key (`<prefix>:f:{<h>}:g:<userId>`, a random token written by each invalidation, TTL = the
 * invalidation window), where `h` is a hash of the user id, so both share a slot and users spread
 * over the cluster. `getMany` is one `MGET` per user, pipelined (one round trip per node); `set`
 * and `invalidate` are one script per user on that slot.
 * @example
 * const cache = new RedisFriendCache({ client: store.client, keyPrefix: 'presence' });
 * const graph = withFriendCache(postgresGraph, { cache, ttlSeconds: 300 });
 */
export class RedisFriendCache implements FriendCache {
  /** Prefix of every key, without the trailing `:`. */
  readonly keyPrefix: string;
  /** How long an invalidation voids earlier versions, in ms. */
  readonly invalidationWindowMs: number;
  readonly #options: RedisFriendCacheOptions;
  readonly #owned: boolean;
  readonly #limits: PresenceLimits;
  #client: (Client & ScriptCommands) | undefined;
  #closed = false;

  constructor(options: RedisFriendCacheOptions = {}) {
    const sources = [options.client, options.url, options.clusterNodes].filter(
      (source) => source !== undefined,
    );
    if (sources.length > 1)
      throw new ConfigError('give at most one of client, url and clusterNodes');
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (typeof prefix !== 'string' || prefix.length === 0 || /[{}\s]/u.test(prefix)) {
      throw new ConfigError('keyPrefix must be a non-empty string without braces or whitespace');
    }
    const windowMs = options.invalidationWindowMs ?? DEFAULT_INVALIDATION_WINDOW_MS;
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new ConfigError(`invalidationWindowMs must be a positive integer, got ${windowMs}`);
    }
    if ((options.client?.options as { keyPrefix?: string } | undefined)?.keyPrefix) {
      throw new ConfigError('the ioredis client must not set keyPrefix: use the cache’s keyPrefix');
    }
    this.keyPrefix = prefix;
    this.invalidationWindowMs = windowMs;
    this.#options = options;
    this.#owned = options.client === undefined;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    if (options.client !== undefined) this.#client = defineScripts(options.client);
  }

  /** The ioredis client; created (without connecting) on first use when the cache owns it. */
  get client(): Client {
    return this.#redis();
  }

  /** The entry key of a user. */
  entryKey(userId: string): string {
    return `${this.keyPrefix}:f:{${this.#tag(userId)}}:e:${userId}`;
  }

  /** The generation key of a user (same slot as the entry). */
  generationKey(userId: string): string {
    return `${this.keyPrefix}:f:{${this.#tag(userId)}}:g:${userId}`;
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, FriendCacheLookup>> {
    const ids = friendCacheIds(userIds, this.#limits);
    const result = new Map<string, FriendCacheLookup>();
    if (ids.length === 0) return result;
    let replies: unknown[];
    try {
      replies = await this.#perNode(ids, (id) => [
        'mget',
        this.entryKey(id),
        this.generationKey(id),
      ]);
    } catch (error) {
      throw unavailable('getMany', error);
    }
    ids.forEach((id, index) => {
      const [value, generation] = (replies[index] ?? []) as [string | null, string | null];
      const entry = value === null || value === undefined ? undefined : decode(value);
      result.set(
        id,
        entry === undefined ? { hit: false, version: generation ?? '' } : { hit: true, entry },
      );
    });
    return result;
  }

  async set(
    userId: string,
    entry: FriendsAndSettings,
    version: string,
    ttlMs: number,
  ): Promise<boolean> {
    const id = friendCacheId(userId, 'userId', this.#limits);
    const value = encode(friendCacheEntry(entry));
    const ttl = friendCacheTtl(ttlMs);
    if (typeof version !== 'string') return false;
    try {
      const stored = await this.#redis().presenceFriendCacheSetV1(
        this.entryKey(id),
        this.generationKey(id),
        version,
        value,
        String(ttl),
      );
      return stored === 1;
    } catch (error) {
      throw unavailable('set', error);
    }
  }

  async invalidate(userIds: readonly string[]): Promise<void> {
    const ids = friendCacheIds(userIds, this.#limits);
    if (ids.length === 0) return;
    const window = String(this.invalidationWindowMs);
    try {
      await this.#perNode(ids, (id) => [
        'presenceFriendCacheInvalidateV1',
        this.entryKey(id),
        this.generationKey(id),
        randomUUID(),
        window,
      ]);
    } catch (error) {
      throw unavailable('invalidate', error);
    }
  }

  /** Closes the client if the cache created it; a given client is left open. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    if (!this.#owned || client === undefined) return;
    if (client.status === 'wait' || client.status === 'end') {
      client.disconnect();
      return;
    }
    await client.quit().catch(() => client.disconnect());
  }

  #tag(userId: string): string {
    return `f${fnv1a32(userId).toString(36)}`;
  }

  #redis(): Client & ScriptCommands {
    if (this.#closed) throw new StoreUnavailableError('the Redis friend cache is closed');
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

  /**
   * One command per user (its keys share a slot), pipelined: one pipeline on a single node, one
   * per master on a cluster (by the client's slot map), in parallel. Replies in `ids` order.
   */
  async #perNode(ids: readonly string[], commandOf: (id: string) => string[]): Promise<unknown[]> {
    const client = this.#redis();
    const cluster = (client as { isCluster?: boolean }).isCluster ? (client as Cluster) : undefined;
    const groups = new Map<string, number[]>();
    const slots = ids.map((id) => (cluster ? calculateSlot(this.entryKey(id)) : 0));
    ids.forEach((_, index) => {
      const slot = slots[index] as number;
      const group = cluster ? (cluster.slots[slot]?.[0] ?? `slot:${slot}`) : '';
      const members = groups.get(group);
      if (members) members.push(index);
      else groups.set(group, [index]);
    });
    const results: unknown[] = new Array(ids.length);
    const run = async (positions: number[]) => {
      const pipeline = client.pipeline(positions.map((i) => commandOf(ids[i] as string)));
      const replies = await pipeline.exec();
      if (replies === null) throw new Error('pipeline aborted');
      replies.forEach(([error, reply], i) => {
        if (error) throw error;
        results[positions[i] as number] = reply;
      });
    };
    await Promise.all(
      [...groups.values()].map(async (positions) => {
        try {
          await run(positions);
        } catch (error) {
          // The slot map moved between grouping and sending: one pipeline per slot instead.
          if (!cluster || !(error instanceof Error) || !/same slot/i.test(error.message))
            throw error;
          const bySlot = new Map<number, number[]>();
          for (const position of positions) {
            const slot = slots[position] as number;
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
}
