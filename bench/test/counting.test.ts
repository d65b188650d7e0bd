import { randomBytes } from 'node:crypto';
import type { ConnectionNotifier, NotifyReport } from '@presence/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countNotifier, countPool, countRedis, WorkCounter } from '../src/work/counting.js';

// The work counter's wrappers, on a known sequence of calls against the real Redis and PostgreSQL
// (what they wrap in the bench), and on a notifier that records what it is asked.

const REDIS_PORT = Number(process.env.BENCH_REDIS_PORT ?? 6379);
const PG_URL = process.env.PRESENCE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function problemWith(
  check: () => Promise<unknown>,
  what: string,
): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    const reason = `${what} unreachable (${(error as Error).message})`;
    if (process.env.CI === 'true')
      throw new Error(`${reason}; CI=true: failing instead of skipping`);
    console.warn(`\n!!! counting.test.ts: SKIPPING the ${what} part: ${reason}\n`);
    return reason;
  }
}

const redisProblem = await problemWith(async () => {
  const probe = new Redis({
    port: REDIS_PORT,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}, 'Redis');
const pgProblem = await problemWith(async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
}, 'PostgreSQL');

describe.skipIf(redisProblem !== undefined)('countRedis', () => {
  const prefix = `bench-count-test-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis({ port: REDIS_PORT, maxRetriesPerRequest: 1 });
    await redis.ping(); // the connection's handshake is not part of the counted sequence
  });
  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  });

  it('counts commands, round trips (waves) and pipelines of a known sequence', async () => {
    const counter = new WorkCounter();
    countRedis(redis, counter);
    const key = (name: string) => `${prefix}:${name}`;

    await redis.set(key('a'), '1'); // 1 command, 1 round trip
    expect(counter.snapshot()).toMatchObject({ redisCommands: 1, redisRoundTrips: 1 });
    await Promise.all([redis.get(key('a')), redis.get(key('b'))]); // 2 commands in one wave
    expect(counter.snapshot()).toMatchObject({ redisCommands: 3, redisRoundTrips: 2 });
    await redis.pipeline().get(key('a')).incr(key('c')).del(key('c')).exec(); // 3 in one pipeline
    expect(counter.snapshot()).toMatchObject({
      redisCommands: 6,
      redisRoundTrips: 3,
      redisPipelines: 1,
    });
    const before = counter.snapshot();
    await redis.get(key('a'));
    await redis.get(key('a')); // sequential: two waves
    expect(counter.since(before)).toMatchObject({ redisCommands: 2, redisRoundTrips: 2 });
    expect(counter.snapshot()).toEqual({
      redisCommands: 8,
      redisRoundTrips: 5,
      redisPipelines: 1,
      sqlQueries: 0,
      sqlSessions: 0,
      posts: 0,
      closes: 0,
    });
  });
});

describe.skipIf(pgProblem !== undefined)('countPool', () => {
  it('counts queries and the sessions the pool opens', async () => {
    const counter = new WorkCounter();
    const pool = countPool(new pg.Pool({ connectionString: PG_URL, max: 2 }), counter);
    try {
      await pool.query('SELECT 1');
      await Promise.all([pool.query('SELECT 2'), pool.query('SELECT $1::int AS n', [3])]);
      expect(counter.counts.sqlQueries).toBe(3);
      // One session for the first query; the concurrent pair needs a second one.
      expect(counter.counts.sqlSessions).toBe(2);
    } finally {
      await pool.end();
    }
  });
});

describe('countNotifier', () => {
  it('counts every connection a frame is sent to and every socket closed, and passes calls on', async () => {
    const asked: string[] = [];
    const inner: ConnectionNotifier = {
      send: async (ids): Promise<NotifyReport> => {
        asked.push(`send ${ids.join(',')}`);
        return { delivered: [...ids], gone: [], failed: [] };
      },
      close: async (ids): Promise<NotifyReport> => {
        asked.push(`close ${ids.join(',')}`);
        return { delivered: [], gone: [...ids], failed: [] };
      },
    };
    const counter = new WorkCounter();
    const notifier = countNotifier(inner, counter);
    const frame = { type: 'presence-timeout', userId: 'alice' } as const;
    expect(await notifier.send(['a', 'b', 'c'], frame)).toEqual({
      delivered: ['a', 'b', 'c'],
      gone: [],
      failed: [],
    });
    await notifier.send([], frame);
    expect((await notifier.close(['d'])).gone).toEqual(['d']);
    expect(asked).toEqual(['send a,b,c', 'send ', 'close d']);
    expect(counter.snapshot()).toMatchObject({ posts: 3, closes: 1 });
  });
});
