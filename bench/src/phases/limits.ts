import pg from 'pg';
import { userId } from '../dataset.js';
import { PG_CONFIG } from '../pg-seed.js';
import { redisBenchmark } from '../redis-tools.js';
import { runClosedLoop } from '../runner.js';
import type { BenchContext } from './context.js';

/**
 * The physical limit: `redis-benchmark` for the single command each operation's store step reduces
 * to, on the same Redis, at 1 and 16 clients. Every store operation of `@presence/redis` is one
 * round trip (one EVALSHA); the cheapest single write of the same round trip is the limit:
 * `ZADD` (heartbeat's essence: refresh a score) and `HSET` (connect / update-presence: write a
 * hash field). Reads (presence of 50 users) compare with `HMGET` of 51 fields in one command.
 * Keys are `<prefix>:rb:*` (`-r` is not used: redis-benchmark's default key is `key:__rand_int__`,
 * so we pass an explicit command with our prefix).
 */
export async function measureRedisLimits(ctx: BenchContext): Promise<void> {
  const n = ctx.options.quick ? 10_000 : 300_000;
  const fields = Array.from({ length: 51 }, (_, i) => `f${i}`);
  const commands: [string, string[]][] = [
    ['zadd', ['ZADD', `${ctx.prefix}:rb:zset`, '__rand_int__', 'member:__rand_int__']],
    ['hset', ['HSET', `${ctx.prefix}:rb:hash`, 'field:__rand_int__', '__rand_int__']],
    ['hmget51', ['HMGET', `${ctx.prefix}:rb:hash`, ...fields]],
  ];
  for (const [name, command] of commands) {
    for (const clients of ctx.options.concurrency) {
      const result = await redisBenchmark({
        port: ctx.redisPort,
        clients,
        requests: clients === 1 ? Math.round(n / 4) : n,
        command: ['-r', '100000', ...command],
      });
      ctx.results.set(`limit:${name}:${clients}`, result.rps);
      ctx.report.add({
        section: 'limit',
        name: `redis-benchmark ${command[0]} ${name === 'hmget51' ? '(51 fields)' : ''}`.trim(),
        callers: clients,
        opsPerSec: result.rps,
        ...(result.p50Ms === undefined ? {} : { p50Ms: result.p50Ms }),
        note: 'one command, one round trip',
      });
    }
  }
}

/**
 * The SQL step's limit: the graph's queries on a bare `pg.Pool` (no adapter, no service), 1 and 16
 * callers. `friendsOf` (UNION of both directions, deduplicated), `profilesOf` of 51 users.
 */
export async function measurePgLimits(ctx: BenchContext): Promise<void> {
  const pool = new pg.Pool({ ...PG_CONFIG, max: 16 });
  const s = `"${ctx.schema}"`;
  const friendsSql = `SELECT f.user_id2 AS friend_id FROM ${s}.friendship_table AS f WHERE f.user_id1 = $1 AND f.accepted_at IS NOT NULL AND f.user_id2 <> $1
UNION SELECT f.user_id1 AS friend_id FROM ${s}.friendship_table AS f WHERE f.user_id2 = $1 AND f.accepted_at IS NOT NULL AND f.user_id1 <> $1`;
  const profilesSql = `SELECT u.user_id, u.first_name, u.last_name, u.profile_image_extension FROM ${s}.user_table AS u WHERE u.user_id = ANY($1::text[])`;
  const users = ctx.dataset.users;
  try {
    for (const clients of ctx.options.concurrency) {
      const stats = await runClosedLoop(
        {
          label: 'bare pg friends query',
          concurrency: clients,
          durationMs: ctx.options.phaseMs,
          maxOps: ctx.options.phaseOps,
          warmupOps: 32,
        },
        (i) =>
          pool.query({
            name: 'bench-friends',
            text: friendsSql,
            values: [userId((i * 7919) % users)],
          }),
      );
      ctx.results.set(`limit:pg-friends:${clients}`, stats.opsPerSec);
      ctx.report.add(
        {
          section: 'limit',
          name: 'bare pg: friends of one user',
          callers: clients,
          note: 'prepared, pooled',
        },
        stats,
      );
      const stats2 = await runClosedLoop(
        {
          label: 'bare pg friends + profiles',
          concurrency: clients,
          durationMs: ctx.options.phaseMs,
          maxOps: ctx.options.phaseOps,
          warmupOps: 32,
        },
        async (i) => {
          const id = userId((i * 7919) % users);
          const { rows } = await pool.query<{ friend_id: string }>({
            name: 'bench-friends',
            text: friendsSql,
            values: [id],
          });
          await pool.query({
            name: 'bench-profiles',
            text: profilesSql,
            values: [[id, ...rows.map((r) => r.friend_id)]],
          });
        },
      );
      ctx.results.set(`limit:pg-get-presence:${clients}`, stats2.opsPerSec);
      ctx.report.add(
        {
          section: 'limit',
          name: 'bare pg: friends + 51 profiles',
          callers: clients,
          note: 'get-presence SQL step',
        },
        stats2,
      );
    }
  } finally {
    await pool.end();
  }
}

/** Both physical limits. */
export async function measureLimits(ctx: BenchContext): Promise<void> {
  await measureRedisLimits(ctx);
  await measurePgLimits(ctx);
}
