import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { loadRedis } from './adapters.js';
import { connectionId, userId } from './dataset.js';
import { summarize } from './stats.js';

/**
 * The heartbeat's store step in a process of its own: `RedisPresenceStore.touch` from `callers`
 * closed-loop callers on one client, as `redis-benchmark` is a process of its own on the same Redis
 * (the bench process carries a 100k-user heap, dozens of runtimes and a worker, which would bill
 * their garbage collection to this client). Configuration is one JSON argument; the result (a
 * `PhaseStats`) is one JSON line on stdout.
 */
interface StoreStepConfig {
  readonly redisPort: number;
  readonly keyPrefix: string;
  readonly ttlMs: number;
  readonly users: number;
  readonly callers: number;
  readonly durationMs: number;
  readonly warmupOps: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as StoreStepConfig;
  const { RedisPresenceStore } = await loadRedis();
  const client = new Redis({ host: '127.0.0.1', port: config.redisPort });
  const store = new RedisPresenceStore({
    client,
    keyPrefix: config.keyPrefix,
    ttlMs: config.ttlMs,
  });
  const touch = (i: number) => {
    const u = (i * 7919) % config.users;
    return store.touch({ userId: userId(u), connectionId: connectionId(u, 0, 'A') }, Date.now());
  };
  try {
    let seq = 0;
    for (let w = 0; w < config.warmupOps; w += config.callers) {
      await Promise.all(Array.from({ length: config.callers }, () => touch(seq++)));
    }
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + config.durationMs;
    await Promise.all(
      Array.from({ length: config.callers }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await touch(seq++);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    process.stdout.write(`${JSON.stringify(summarize(latencies, performance.now() - started))}\n`);
  } finally {
    client.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
