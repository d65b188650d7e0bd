// The demo's session over the production adapters, with the drivers the consumer installed itself
// (ioredis and pg are peer dependencies): the consumer's own Redis client and pg.Pool go into
// RedisPresenceStore and PostgresFriendGraph. Random key prefix and schema, removed at the end.
// Exit 0 passed, 1 failed, 3 skipped (Redis or PostgreSQL unreachable outside CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createPresenceService, MemoryNotifier } from '@presence/core';
import { createSchema, dropSchema, PostgresFriendGraph, seedFriendGraph } from '@presence/postgres';
import { RedisPresenceStore } from '@presence/redis';
import { clearStore } from '@presence/redis/testing';
import { Redis } from 'ioredis';
import pg from 'pg';

const REDIS_URL = process.env.PRESENCE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL =
  process.env.PRESENCE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** @param {string} name the installed version of a driver */
const versionOf = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8'))
    .version;
console.log(`drivers: ioredis ${versionOf('ioredis')}, pg ${versionOf('pg')}`);

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
redis.on('error', () => undefined);
const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, connectionTimeoutMillis: 3000 });
pool.on('error', () => undefined);

async function reachable() {
  try {
    await redis.ping();
    await pool.query('SELECT 1');
    return true;
  } catch (error) {
    const reason = `Redis (${REDIS_URL}) or PostgreSQL (${POSTGRES_URL}) unreachable: ${error instanceof Error ? error.message : error}`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI requires both`);
    console.warn(`\n!!! SKIPPING the backends smoke test: ${reason}\n`);
    return false;
  }
}

const suffix = randomBytes(6).toString('hex');
const schema = `presence_consumer_smoke_${suffix}`;
const keyPrefix = `presence-consumer-smoke:${suffix}`;
let store;
let code = 0;
try {
  if (!(await reachable())) {
    code = 3;
  } else {
    await createSchema(pool, { schema });
    await seedFriendGraph(
      pool,
      {
        users: [
          {
            userId: 'ada',
            firstName: 'Ada',
            lastName: 'Lovelace',
            profileImageExtension: null,
            sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: [] },
          },
          { userId: 'alan', firstName: 'Alan', lastName: 'Turing', profileImageExtension: 'png' },
          { userId: 'grace', firstName: 'Grace', lastName: 'Hopper', profileImageExtension: null },
        ],
        friendships: [
          { from: 'ada', to: 'alan', accepted: true },
          { from: 'ada', to: 'grace', accepted: false },
        ],
      },
      { schema },
    );
    store = new RedisPresenceStore({ client: redis, keyPrefix });
    const graph = new PostgresFriendGraph({ pool, schema });
    const notifier = new MemoryNotifier();
    const service = createPresenceService({ store, graph, notifier });

    await service.connect({ userId: 'ada', connectionId: 'ada-laptop' });
    await service.connect({ userId: 'alan', connectionId: 'alan-phone' });
    await service.connect({ userId: 'grace', connectionId: 'grace-desk' });
    await service.updatePresence(
      { userId: 'ada', connectionId: 'ada-laptop' },
      { url: 'https://en.wikipedia.org/wiki/Analytical_engine', title: 'Analytical engine' },
    );
    const alansView = await service.getPresence('alan');

    // The same view through clients the adapters build themselves from URLs: the driver's
    // connection options (statement and query timeouts) and named prepared statements.
    const ownStore = new RedisPresenceStore({ url: REDIS_URL, keyPrefix });
    const ownGraph = new PostgresFriendGraph({
      connectionString: POSTGRES_URL,
      schema,
      preparedStatements: true,
    });
    try {
      const notifier = new MemoryNotifier();
      const again = createPresenceService({ store: ownStore, graph: ownGraph, notifier });
      assert.deepEqual(await again.getPresence('alan'), alansView);
    } finally {
      await ownStore.close();
      await ownGraph.close();
    }

    await service.disconnect('ada-laptop');

    assert.deepEqual(
      alansView.presenceArr.map((entry) => [entry.userId, entry.page?.domain]),
      [['ada', 'wikipedia.org']],
    );
    assert.deepEqual(
      notifier.framesFor('alan-phone').map((frame) => frame.type),
      ['update-presence', 'presence-timeout'],
    );
    assert.deepEqual(notifier.framesFor('grace-desk'), []);
    console.log('backends: ada shown to alan over Redis + PostgreSQL, hidden from grace');
  }
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  if (store) await clearStore(store).catch((error) => console.error('cleanup:', error));
  if (code !== 3) await dropSchema(pool, schema).catch(() => undefined);
  redis.disconnect();
  await pool.end();
}
process.exit(code);
