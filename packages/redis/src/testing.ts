import type { ConnectionRef } from '@presence/core';
import type { Cluster, Redis } from 'ioredis';
import type { RedisPresenceStore } from './redis-presence-store.js';

/** What {@link sweepAll} removed over all its batches. */
export interface SweepAllResult {
  /** Connections removed. */
  readonly expired: ConnectionRef[];
  /** Users that went offline. */
  readonly offline: string[];
  /** Number of `sweep` calls made. */
  readonly batches: number;
}

/**
 * Runs `store.sweep` in batches of `batchLimit` until nothing stale remains before `cutoff`, over
 * every bucket. For tests and benchmarks (a service's sweep announces and closes too).
 */
export async function sweepAll(
  store: RedisPresenceStore,
  cutoff: number,
  batchLimit = 1000,
): Promise<SweepAllResult> {
  const expired: ConnectionRef[] = [];
  const offline: string[] = [];
  let batches = 0;
  for (;;) {
    const batch = await store.sweep(cutoff, batchLimit);
    batches++;
    expired.push(...batch.expired);
    offline.push(...batch.offline);
    if (!batch.more) return { expired, offline, batches };
  }
}

/**
 * Deletes every key under the store's prefix (SCAN + UNLINK on every master), outbox, markers and
 * last seen included. For tests and benchmarks: never FLUSHALL a shared server.
 */
export async function clearStore(store: RedisPresenceStore): Promise<void> {
  const client = store.client;
  // A lazily connected cluster knows its masters only once it has loaded the slot map.
  if (store.isCluster && client.status !== 'ready') await client.ping();
  const nodes: Redis[] = store.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  await Promise.all(
    nodes.map(async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', store.keys.pattern, 'COUNT', 1000);
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
}
