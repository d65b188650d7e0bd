import { Redis } from 'ioredis';
import { forEachLimited, loadRedis } from '../adapters.js';
import { connectionId, pageOf, userId } from '../dataset.js';
import { LegacyPresence, seedLegacyOnline } from '../legacy/legacy-presence.js';
import { PG_CONFIG } from '../pg-seed.js';
import { startProgress } from '../progress.js';
import { type DedicatedRedis, usedMemory } from '../redis-tools.js';
import type { BenchContext } from './context.js';

/**
 * Redis memory per online user: `INFO memory` `used_memory` delta over N users, each connected with
 * one connection and a ~150-byte shared page set (current and latest), on a dedicated empty
 * redis-server; first with `@presence/redis`, then (after FLUSHALL of that dedicated server only)
 * with the earlier deployment's layout holding the same data.
 */
export async function measureMemory(ctx: BenchContext, dedicated: DedicatedRedis): Promise<void> {
  const users = ctx.options.memoryUsers;
  const redis = new Redis({ port: dedicated.port, host: '127.0.0.1' });
  try {
    const now = Date.now();
    const { RedisPresenceStore } = await loadRedis();
    const store = new RedisPresenceStore({ client: redis, keyPrefix: 'presence' });
    // Load the scripts and let the allocator settle before the baseline.
    await store.addConnection({ userId: 'warmup', connectionId: 'warmup' }, now);
    await store.removeConnection('warmup');
    await redis.flushall();
    await store.addConnection({ userId: 'warmup', connectionId: 'warmup' }, now);
    await store.removeConnection('warmup');
    const before = await usedMemory(redis);
    const progress = startProgress(
      `memory: ${users.toLocaleString('en-US')} users, @presence/redis layout`,
    );
    await forEachLimited(
      users,
      256,
      async (i) => {
        const ref = { userId: userId(i), connectionId: connectionId(i, 0, 'M') };
        await store.addConnection(ref, now);
        await store.setPage(ref, pageOf(i), true, now);
      },
      (done) => progress.update(done / users),
    );
    progress.done();
    const perUser = ((await usedMemory(redis)) - before) / users;
    ctx.results.set('memory:new', perUser);
    ctx.report.add({
      section: 'memory',
      name: 'Redis bytes per online user: @presence/redis',
      note: `${formatBytes(perUser)}/user: INFO used_memory delta over ${users.toLocaleString('en-US')} users, 1 connection + ~150-byte page (current + latest)`,
    });

    await redis.flushall();
    const legacyBefore = await usedMemory(redis);
    const legacy = new LegacyPresence({
      redis,
      keyPrefix: '',
      pgConfig: PG_CONFIG,
      schema: ctx.schema,
      gatewayEndpoint: ctx.gateway.endpoint,
    });
    const k = legacy.keys;
    const legacyProgress = startProgress('memory: same data, earlier layout');
    await seedLegacyOnline(redis, k, {
      count: users,
      now,
      tag: 'M',
      batch: 1000,
      onProgress: (done) => legacyProgress.update(done / users),
    });
    legacyProgress.done();
    legacy.close();
    const legacyPerUser = ((await usedMemory(redis)) - legacyBefore) / users;
    ctx.results.set('memory:legacy', legacyPerUser);
    ctx.report.add({
      section: 'memory',
      name: 'Redis bytes per online user: earlier layout',
      versus: 'new ÷ this',
      ratio: perUser / legacyPerUser,
      note: `${formatBytes(legacyPerUser)}/user: 2 connection hashes + status zset + page + latest_page hashes`,
    });
    ctx.report.target(
      'Redis memory per online user ≤ 890 bytes',
      perUser,
      '<=',
      890,
      ' B',
      `earlier layout: ${Math.round(legacyPerUser)} B for the same data`,
    );
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}

function formatBytes(n: number): string {
  return `${Math.round(n)} B`;
}
