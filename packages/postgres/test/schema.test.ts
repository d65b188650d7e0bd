import { ConfigError } from '@presence/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema, PostgresFriendGraph, seedFriendGraph } from '../src/index.js';
import { freshSchema, postgresAvailable, TEST_DATABASE_URL, testPool } from './helpers.js';

const available = await postgresAvailable('schema.test.ts');

const custom = {
  tables: { friendship: 'Friend Links', user: 'people' },
  columns: {
    friendship: { userId1: 'requester', userId2: 'addressee', acceptedAt: 'accepted' },
    user: {
      userId: 'id',
      firstName: 'given_name',
      lastName: 'family_name',
      profileImageExtension: 'avatar_ext',
      shareMode: 'mode',
      domainAllowArray: 'allow',
      domainDenyArray: 'deny',
    },
  },
} as const;

describe.skipIf(!available)('configurable names and validateSchema', () => {
  const pool = testPool();
  let schema: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshSchema(pool, custom);
    schema = fresh.schema;
    drop = fresh.drop;
    await seedFriendGraph(
      pool,
      {
        users: [
          { userId: 'a', firstName: 'A', lastName: 'Aa', profileImageExtension: 'jpg' },
          {
            userId: 'b',
            firstName: 'B',
            lastName: 'Bb',
            profileImageExtension: null,
            sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['x.com'] },
          },
        ],
        friendships: [
          { from: 'a', to: 'b', accepted: true },
          { from: 'a', to: 'c', accepted: false },
        ],
      },
      fresh.names,
    );
  });

  afterAll(async () => {
    await drop?.();
    await pool.end();
  });

  it('reads tables and columns under other names', async () => {
    const graph = new PostgresFriendGraph({ pool, schema, ...custom });
    await graph.validateSchema();
    expect(await graph.friendsOf('b')).toEqual(['a']);
    expect((await graph.friendsOfMany(['a'])).get('a')).toEqual(['b']);
    expect(await graph.areFriends('a', 'c')).toBe(false);
    expect((await graph.profilesOf(['a'])).get('a')).toEqual({
      userId: 'a',
      firstName: 'A',
      lastName: 'Aa',
      profileImageExtension: 'jpg',
    });
    expect(await graph.sharingSettingsOf('b')).toEqual({
      shareMode: 'default_all',
      domainAllowList: [],
      domainDenyList: ['x.com'],
    });
  });

  it('names a missing table and a missing column in ONE ConfigError', async () => {
    const graph = new PostgresFriendGraph({
      pool,
      schema,
      tables: { friendship: custom.tables.friendship, user: 'no_such_people' },
      columns: { friendship: { ...custom.columns.friendship, acceptedAt: 'accepted_on' } },
    });
    const error = await graph.validateSchema().catch((caught: unknown) => caught);
    expect(ConfigError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`missing table "${schema}"."no_such_people"`);
    expect(message).toContain(`missing column "${schema}"."Friend Links"."accepted_on"`);
    // The missing table is reported once, not once per column.
    expect(message.match(/no_such_people/g)).toHaveLength(1);
  });

  it('names every missing column of an existing table', async () => {
    const graph = new PostgresFriendGraph({ pool, schema, tables: custom.tables });
    const error = await graph.validateSchema().catch((caught: unknown) => caught);
    expect(ConfigError.isInstance(error)).toBe(true);
    for (const column of ['user_id1', 'user_id2', 'accepted_at', 'user_id', 'share_mode']) {
      expect((error as Error).message).toContain(`"${column}"`);
    }
  });

  it('rejects a column of the wrong type', async () => {
    await pool.query(
      `CREATE TABLE "${schema}"."typed_people" (id varchar PRIMARY KEY, given_name varchar, family_name varchar,
       avatar_ext varchar, mode varchar, allow varchar, deny varchar[])`,
    );
    const graph = new PostgresFriendGraph({
      pool,
      schema,
      ...custom,
      tables: { ...custom.tables, user: 'typed_people' },
    });
    await expect(graph.validateSchema()).rejects.toThrow(
      `column "${schema}"."typed_people"."allow" is not an array`,
    );
  });

  it('resolves unqualified names through the search_path, as the queries do', async () => {
    const onPath = new PostgresFriendGraph({
      connectionString: TEST_DATABASE_URL,
      poolConfig: { options: `-c search_path="${schema}"` },
      ...custom,
    });
    try {
      await onPath.validateSchema();
      expect(await onPath.friendsOf('a')).toEqual(['b']);
    } finally {
      await onPath.close();
    }
  });

  it('createSchema is idempotent', async () => {
    await createSchema(pool, { schema, ...custom });
    const graph = new PostgresFriendGraph({ pool, schema, ...custom });
    await graph.validateSchema();
  });
});
