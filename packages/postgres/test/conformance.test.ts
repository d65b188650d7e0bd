import { describeFriendGraph } from '@presence/core/testing';
import { afterAll, describe } from 'vitest';
import { PostgresFriendGraph, seedFriendGraph } from '../src/index.js';
import { freshSchema, postgresAvailable, testPool } from './helpers.js';

const available = await postgresAvailable('conformance.test.ts');

describe.skipIf(!available)('PostgresFriendGraph', () => {
  const pool = testPool();
  afterAll(() => pool.end());

  // A fresh schema per test: the suite seeds empty tables before every test.
  describeFriendGraph(
    'PostgreSQL',
    async (seed) => {
      const { schema, names, drop } = await freshSchema(pool);
      await seedFriendGraph(pool, seed, names);
      const graph = new PostgresFriendGraph({ pool, schema });
      await graph.validateSchema();
      return { graph, cleanup: drop };
    },
    // A user_table row always has settings: the column defaults.
    { defaultSharing: { shareMode: 'default_none', domainAllowList: [], domainDenyList: [] } },
  );
});
