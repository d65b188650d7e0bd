import { randomBytes } from 'node:crypto';
import type { PresenceStoreHandle } from '@presence/core/testing';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import { MARKER_TTL_MS, RedisPresenceStore, type RedisPresenceStoreOptions } from '../src/index.js';
import { clearStore } from '../src/testing.js';

/** True under CI, where an unreachable Redis fails the run instead of skipping. */
export const CI = process.env.CI === 'true';

/** A key prefix no other test file (or concurrent suite on the shared Redis) uses. */
export function freshPrefix(label: string): string {
  return `presence-test:${label}:${randomBytes(6).toString('hex')}`;
}

function unavailable(reason: string): string {
  if (CI) throw new Error(`${reason} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! ${reason}: SKIPPING these Redis tests.\n`);
  return reason;
}

/** Why the shared single node on 127.0.0.1:6379 cannot be used, or `undefined` when it can. */
export async function singleNodeUnavailable(): Promise<string | undefined> {
  const probe = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return unavailable(`Redis on 127.0.0.1:6379 is not reachable (${(error as Error).message})`);
  } finally {
    probe.disconnect();
  }
}

/** Why the test cluster (started by the global setup) cannot be used, or `undefined`. */
export function clusterUnavailable(): string | undefined {
  const cluster = inject('redisCluster');
  return 'unavailable' in cluster ? unavailable(cluster.unavailable) : undefined;
}

/** A client of the shared single node. */
export function singleNodeClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 2 });
}

/** A client of the test cluster. */
export function clusterClient(): Cluster {
  const cluster = inject('redisCluster');
  const ports = 'ports' in cluster ? cluster.ports : [];
  return new Cluster(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { maxRetriesPerRequest: 2 } },
  );
}

/** The masters of a client (itself for a single node). */
export function mastersOf(client: Redis | Cluster): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Every key under a store's prefix, from every master. */
export async function keysOf(store: RedisPresenceStore): Promise<string[]> {
  const keys: string[] = [];
  for (const node of mastersOf(store.client)) {
    let cursor = '0';
    do {
      const [next, page] = await node.scan(cursor, 'MATCH', store.keys.pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== '0');
  }
  return keys;
}

/** The longest TTL a key of this store may have, by its kind. */
function maxTtlOf(store: RedisPresenceStore, key: string): number {
  const rest = key.slice(store.keys.base.length);
  const { outboxLeaseMs, outboxTtlMs, lastSeenRetentionMs } = store.durations;
  if (/^\{\d+\}:(o|od)$/.test(rest)) return outboxTtlMs + outboxLeaseMs;
  if (/^\{\d+\}:m$/.test(rest)) return MARKER_TTL_MS;
  if (/^\{\d+\}:l:/.test(rest)) return lastSeenRetentionMs;
  return store.ttlMs;
}

/**
 * Makes the keys of a store that match `pick` expire now, after checking that each has a TTL of at
 * most what its kind allows: PEXPIREAT in the past deletes a key exactly as its TTL would, with no
 * waiting.
 */
export async function expireAll(
  store: RedisPresenceStore,
  pick: (key: string) => boolean = () => true,
): Promise<void> {
  for (const key of await keysOf(store)) {
    if (!pick(key)) continue;
    const ttl = await store.client.pttl(key);
    const max = maxTtlOf(store, key);
    if (ttl <= 0 || ttl > max) {
      throw new Error(`key ${key} has PTTL ${ttl}, expected 1..${max}`);
    }
    await store.client.pexpireat(key, 1);
  }
}

/** The conformance options every Redis run passes (the store of the current test from `current`). */
export function conformanceOptions(
  current: () => RedisPresenceStore,
  make: (retention: number) => Promise<PresenceStoreHandle>,
) {
  return {
    ttl: { expire: () => expireAll(current(), (key) => !/:\{\d+\}:(l:|m$|o$|od$)/.test(key)) },
    lastSeen: { expire: () => expireAll(current(), (key) => /:\{\d+\}:l:/.test(key)) },
    backendNow: () => Date.now(),
    loseData: () => clearStore(current()),
    makeStoreWith: ({ lastSeenRetentionMs }: { lastSeenRetentionMs: number }) =>
      make(lastSeenRetentionMs),
  };
}

/**
 * A factory of fresh stores sharing one client: each store gets its own prefix under `filePrefix`
 * and is emptied after its test (SCAN + UNLINK of its prefix); the file's `afterAll` SCANs the
 * whole file prefix as a safety net ({@link clearPrefix}).
 */
export function storeFactory(
  client: () => Redis | Cluster,
  filePrefix: string,
  options: Omit<RedisPresenceStoreOptions, 'client' | 'keyPrefix'> = {},
) {
  let count = 0;
  let current: RedisPresenceStore | undefined;
  const build = (extra: Partial<RedisPresenceStoreOptions>) => {
    count += 1;
    const store = new RedisPresenceStore({
      ...options,
      ...extra,
      client: client(),
      keyPrefix: `${filePrefix}:${count}`,
    });
    return {
      store,
      cleanup: async () => {
        await clearStore(store);
        await store.close();
      },
    };
  };
  return {
    current: () => current as RedisPresenceStore,
    make: async () => {
      const made = build({});
      current = made.store;
      return made;
    },
    /** A store with other settings, not the suite's current one. */
    makeWith: async (extra: Partial<RedisPresenceStoreOptions>) => build(extra),
  };
}

/** Deletes every key under `prefix` (SCAN, never FLUSHALL: the single node is shared). */
export async function clearPrefix(client: Redis | Cluster, prefix: string): Promise<void> {
  await clearStore(new RedisPresenceStore({ client, keyPrefix: prefix }));
}
