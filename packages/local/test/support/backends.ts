import { randomBytes } from 'node:crypto';
import type { FriendGraphSeed } from '@presence/core';
import { createPool, createSchema, dropSchema, seedFriendGraph } from '@presence/postgres';
import { Redis } from 'ioredis';
import type { LocalPresenceOptions } from '../../src/index.js';

/** A store + graph pair the end-to-end suite runs against. */
export interface Backend {
  readonly name: string;
  /** How the server delivers frames in this variant. */
  readonly delivery: 'inproc' | 'http';
  /** Options for startLocalPresence (prepared per suite). */
  prepare(seed: FriendGraphSeed): Promise<Partial<LocalPresenceOptions>>;
  /** Removes everything `prepare` created. */
  cleanup(): Promise<void>;
}

export const REDIS_URL = process.env.PRESENCE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL =
  process.env.PRESENCE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The embedded defaults: in-memory store, seeded in-memory graph, in-process delivery. */
export const memoryBackend: Backend = {
  name: 'embedded defaults (memory store + memory graph, in-process delivery)',
  delivery: 'inproc',
  async prepare() {
    return {};
  },
  async cleanup() {},
};

/** The embedded defaults with frames posted over HTTP `@connections` by the AWS SDK client. */
export const httpBackend: Backend = {
  name: 'embedded defaults, --delivery http (AWS SDK client)',
  delivery: 'http',
  async prepare() {
    return { delivery: 'http' };
  },
  async cleanup() {},
};

/** Over HTTP `@connections` with the handlers' opt-in signed-HTTP transport. */
export const signedHttpBackend: Backend = {
  name: 'embedded defaults, --delivery http, GATEWAY_TRANSPORT=signed-http',
  delivery: 'http',
  async prepare() {
    return { delivery: 'http', env: { GATEWAY_TRANSPORT: 'signed-http' } };
  },
  async cleanup() {},
};

/** Why Redis or PostgreSQL cannot be used, or `undefined` when both answer. */
export async function realBackendProblem(): Promise<string | undefined> {
  const problems: string[] = [];
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis at ${REDIS_URL}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
  const pool = createPool({
    connectionString: DATABASE_URL,
    poolConfig: { connectionTimeoutMillis: 1500 },
  });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    problems.push(`PostgreSQL at ${DATABASE_URL}: ${(error as Error).message}`);
  } finally {
    await pool.end().catch(() => undefined);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Real Redis (random key prefix, SCAN+DEL cleanup) and PostgreSQL (fresh schema, seeded, dropped),
 * with frames delivered in process or over HTTP `@connections`.
 */
export function realBackend(delivery: 'inproc' | 'http' = 'inproc'): Backend {
  const id = randomBytes(6).toString('hex');
  const keyPrefix = `presence-local-e2e-${id}`;
  const schema = `presence_local_e2e_${id}`;
  let pool: ReturnType<typeof createPool> | undefined;
  return {
    name: `Redis + PostgreSQL, ${delivery === 'inproc' ? 'in-process delivery' : '--delivery http'}`,
    delivery,
    async prepare(seed) {
      pool = createPool({ connectionString: DATABASE_URL });
      await createSchema(pool, { schema });
      await seedFriendGraph(pool, seed, { schema });
      return {
        redisUrl: REDIS_URL,
        databaseUrl: DATABASE_URL,
        delivery,
        env: { REDIS_KEY_PREFIX: keyPrefix, DB_SCHEMA: schema },
      };
    },
    async cleanup() {
      // Shared servers: only this run's keys and schema, never FLUSHALL / FLUSHDB.
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      if (pool !== undefined) {
        await dropSchema(pool, schema);
        await pool.end();
      }
    },
  };
}
