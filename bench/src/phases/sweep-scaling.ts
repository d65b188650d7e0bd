import { Redis } from 'ioredis';
import { forEachLimited, loadRedis } from '../adapters.js';
import { connectionId, userId } from '../dataset.js';
import { startProgress } from '../progress.js';
import type { DedicatedRedis } from '../redis-tools.js';
import { timeOnce } from '../runner.js';
import { growthPer10x } from '../stats.js';
import type { BenchContext } from './context.js';

/** Connections removed per store sweep call, as `sweepAll` and a large Lambda batch would. */
const SWEEP_BATCH = 1000;

/**
 * Store-side sweep of 1k / 10k / 100k (/ 1M) stale connections on the dedicated redis-server:
 * seeded through the store's own `addConnection` (its real key layout and TTLs) with last-seen an
 * hour ago, then `sweep(cutoff, 1000)` until `more` is false. Prints time per size and the growth
 * factor per 10× (10 = linear).
 */
export async function measureSweepScaling(
  ctx: BenchContext,
  dedicated: DedicatedRedis,
): Promise<void> {
  const redis = new Redis({ port: dedicated.port, host: '127.0.0.1' });
  try {
    const { RedisPresenceStore } = await loadRedis();
    const store = new RedisPresenceStore({ client: redis, keyPrefix: 'sweep' });
    const points: { size: number; cost: number }[] = [];
    for (const size of ctx.options.sweepSizes) {
      await redis.flushall();
      const stale = Date.now() - 3_600_000;
      const progress = startProgress(
        `seed ${size.toLocaleString('en-US')} stale connections (store API)`,
      );
      await forEachLimited(
        size,
        512,
        (i) =>
          store.addConnection(
            { userId: userId(i), connectionId: connectionId(i, 0, 'S') },
            stale + (i % 1000),
          ),
        (done) => progress.update(done / size),
      );
      progress.done();
      const sweepProgress = startProgress(
        `store sweep of ${size.toLocaleString('en-US')} stale connections`,
      );
      let removed = 0;
      let offline = 0;
      let batches = 0;
      const cutoff = Date.now() - 180_000;
      const { ms } = await timeOnce(async () => {
        for (let more = true; more; ) {
          const batch = await store.sweep(cutoff, SWEEP_BATCH);
          removed += batch.expired.length;
          offline += batch.offline.length;
          batches += 1;
          more = batch.more;
          sweepProgress.update(removed / size);
        }
      });
      sweepProgress.done();
      const left = await redis.dbsize();
      points.push({ size, cost: ms });
      const growth = growthPer10x(points).at(-1);
      ctx.report.add({
        section: 'scaling',
        name: `store sweep: ${size.toLocaleString('en-US')} stale connections`,
        callers: 1,
        opsPerSec: (removed * 1000) / ms,
        note: `${(ms / 1000).toFixed(2)} s total, ${batches} batches, ${offline.toLocaleString('en-US')} users offline${removed !== size ? `, REMOVED ${removed}` : ''}${left > 0 ? `, ${left} keys left` : ''}${growth === undefined ? '' : `; time ×${growth.toFixed(1)} per 10× (10 = linear)`}`,
      });
      if (size === 1_000_000) {
        ctx.report.target(
          'store-side sweep of 1M stale connections < 60 s',
          ms / 1000,
          '<',
          60,
          ' s',
        );
      }
    }
    if (!ctx.options.sweepSizes.includes(1_000_000)) {
      ctx.report.target(
        'store-side sweep of 1M stale connections < 60 s',
        undefined,
        '<',
        60,
        ' s',
        'not measured: full mode only (--quick stops at 10k)',
      );
    }
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}
