import { describeFriendGraph } from '@presence/core/testing';
import { afterAll, describe } from 'vitest';
import { PostgresFriendGraph, seedFriendGraph } from '../src/index.js';
import { freshSchema, postgresAvailable, testPool } from './helpers.js';

const available = await postgresAvailable('conformance.test.ts');

// Both statement modes. With prepared statements every test's graph has its own schema but shares
// the pool's connections, so their statement caches: names must never collide across graphs.
describe.skipIf(!available).each([
  ['unnamed statements', false],
  ['prepared statements', true],
])('PostgresFriendGraph, %s', (mode, preparedStatements) => {
  const pool = testPool();
  afterAll(() => pool.end());

  // A fresh schema per test: the suite seeds empty tables before every test.
  describeFriendGraph(
    `PostgreSQL (${mode})`,
    async (seed) => {
      const { schema, names, drop } = await freshSchema(pool);
      await seedFriendGraph(pool, seed, names);
      const graph = new PostgresFriendGraph({ pool, schema, preparedStatements });
      await graph.validateSchema();
      return { graph, cleanup: drop };
    },
    // A user_table row always has settings: the column defaults.
    { defaultSharing: { shareMode: 'default_none', domainAllowList: [], domainDenyList: [] } },
  );
});
