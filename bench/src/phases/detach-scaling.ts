import { Redis } from 'ioredis';
import { loadRedis } from '../adapters.js';
import { startProgress } from '../progress.js';
import type { DedicatedRedis } from '../redis-tools.js';
import type { BenchContext } from './context.js';

/** Connections of the one user, from one to the largest size the row covers. */
const SIZES = [1, 10, 100, 1_000] as const;

/** `cmdstat_evalsha` of `INFO commandstats`: calls and total µs spent in the store's scripts. */
async function scriptTime(redis: Redis): Promise<{ calls: number; usec: number }> {
  const info = await redis.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Redis time of one detach (`removeConnection`, one script on a single node) as one user's
 * connections grow from 1 to 1,000 (the store gets no cap; the service's `maxConnectionsPerUser`
 * would be raised to allow this), on the dedicated redis-server with no other traffic. Measured
 * inside Redis: the `usec` of `cmdstat_evalsha` in `INFO commandstats` before and after each
 * detach (no SLOWLOG), median over the samples; the connection is added back between samples
 * (not measured). With 1 connection the detach takes the user offline (outbox entry and last seen
 * recorded); from 10 on it removes one of many: it keeps a count and reads no field list, so it
 * must stay flat.
 */
export async function measureDetachScaling(
  ctx: BenchContext,
  dedicated: DedicatedRedis,
): Promise<void> {
  const redis = new Redis({ port: dedicated.port, host: '127.0.0.1' });
  const samples = ctx.options.quick ? 15 : 60;
  try {
    const { RedisPresenceStore } = await loadRedis();
    const store = new RedisPresenceStore({ client: redis, keyPrefix: 'detach' });
    const now = Date.now();
    // Load the scripts first: a NOSCRIPT round would count an extra call.
    await store.addConnection({ userId: 'warmup', connectionId: 'warmup=' }, now);
    await store.removeConnection('warmup=', { now });
    const medians: number[] = [];
    for (const size of SIZES) {
      await redis.flushall();
      const progress = startProgress(`detach with ${size.toLocaleString('en-US')} connections`);
      const refs = Array.from({ length: size }, (_, i) => ({
        userId: 'hub-user',
        connectionId: `detach-${i}=`,
      }));
      for (const ref of refs) await store.addConnection(ref, now, { maxConnections: 2_000 });
      const usec: number[] = [];
      for (let s = 0; s < samples; s++) {
        const ref = refs[s % size] as (typeof refs)[number];
        const before = await scriptTime(redis);
        await store.removeConnection(ref.connectionId, { now });
        const after = await scriptTime(redis);
        if (after.calls - before.calls !== 1) throw new Error('a detach is one script call');
        usec.push(after.usec - before.usec);
        await store.addConnection(ref, now, { maxConnections: 2_000 });
        progress.update((s + 1) / samples);
      }
      progress.done();
      const mid = median(usec);
      medians.push(mid);
      ctx.report.add({
        section: 'scaling',
        name: `detach: one of ${size.toLocaleString('en-US')} connections of one user`,
        callers: 1,
        p50Ms: mid / 1000,
        note: `${mid.toFixed(1)} µs inside Redis (INFO commandstats, median of ${samples})${size === 1 ? ': the last one, user offline (outbox + last seen written)' : ''}`,
      });
    }
    const first = medians[1] as number;
    const last = medians[SIZES.length - 1] as number;
    ctx.report.notes.push(
      `detach: ${(last / first).toFixed(2)}× the Redis time at 1,000 connections of one user as at 10 (flat = 1; the earlier HKEYS scan grew linearly)`,
    );
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}
