import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CachingFriendGraph,
  type FriendGraphSeed,
  GraphUnavailableError,
  MemoryFriendCache,
} from '@presence/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  changedUserIds,
  changeTriggersSql,
  type GraphChangeListener,
  listenForGraphChanges,
  PostgresFriendGraph,
  seedFriendGraph,
} from '../src/index.js';
import { freshSchema, postgresAvailable, TEST_DATABASE_URL, testPool } from './helpers.js';

const available = await postgresAvailable('graph-changes.test.ts');

/** Bound of one awaited notification: generous for a loaded machine, never a pass condition. */
const WAIT_MS = 8000;

const user = (userId: string) => ({
  userId,
  firstName: `First ${userId}`,
  lastName: `Last ${userId}`,
  profileImageExtension: null,
});
const seed: FriendGraphSeed = {
  users: ['alice', 'bob', 'carol', 'dave'].map(user),
  friendships: [
    { from: 'alice', to: 'bob', accepted: true },
    { from: 'carol', to: 'alice', accepted: true },
  ],
};

/** Changes as the listener hands them over, with a bounded wait for the next one. */
function recorder() {
  const received: string[][] = [];
  const waiters: Array<(ids: string[]) => void> = [];
  let next = 0;
  return {
    received,
    onChange: (ids: string[]) => {
      received.push(ids);
      waiters.shift()?.(ids);
    },
    /** The next change not taken yet (in arrival order). */
    take(): Promise<string[]> {
      const index = next++;
      const ready = received[index];
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no change notification arrived')),
          WAIT_MS,
        );
        waiters.push((ids) => {
          clearTimeout(timer);
          resolve(ids);
        });
      });
    },
  };
}

describe('changeTriggersSql', () => {
  it('ships sql/change-triggers.sql exactly as generated for the PROTOCOL.md names', () => {
    const shipped = readFileSync(new URL('../sql/change-triggers.sql', import.meta.url), 'utf8');
    expect(shipped).toBe(changeTriggersSql());
  });

  it('refuses a malformed channel', () => {
    expect(() => changeTriggersSql({ channel: '' })).toThrow(/channel/);
  });

  it('reads payloads that are lists of ids, nothing else', () => {
    expect(changedUserIds('["a","b"]')).toEqual(['a', 'b']);
    expect(changedUserIds('["a","a"]')).toEqual(['a']);
    for (const bad of ['', 'a b', '[]', '[1]', '{"a":1}', '[""]', undefined]) {
      expect(changedUserIds(bad)).toBeUndefined();
    }
  });
});

describe.skipIf(!available)('LISTEN/NOTIFY invalidation against PostgreSQL', () => {
  const pool = testPool();
  const channel = `presence_test_${randomBytes(4).toString('hex')}`;
  const applicationName = `presence-listener-${randomBytes(4).toString('hex')}`;
  let schema: string;
  let drop: () => Promise<void>;
  const table = (name: string) => `"${schema}"."${name}"`;

  beforeAll(async () => {
    const fresh = await freshSchema(pool);
    schema = fresh.schema;
    drop = fresh.drop;
    await seedFriendGraph(pool, seed, fresh.names);
    await pool.query(changeTriggersSql({ schema, channel }));
    // Idempotent: running the recipe twice changes nothing.
    await pool.query(changeTriggersSql({ schema, channel }));
  });

  afterAll(async () => {
    await drop?.();
    await pool.end();
  });

  it('announces accepted friendships, removals and sharing changes, never pending requests', async () => {
    const changes = recorder();
    const listener = await listenForGraphChanges({
      connectionString: TEST_DATABASE_URL,
      channel,
      onChange: changes.onChange,
    });
    try {
      // A pending request is silent; accepting it is announced.
      await pool.query(
        `INSERT INTO ${table('friendship_table')} (user_id1, user_id2) VALUES ('dave', 'bob')`,
      );
      await pool.query(
        `UPDATE ${table('friendship_table')} SET accepted_at = now() WHERE user_id1 = 'dave'`,
      );
      expect(await changes.take()).toEqual(['dave', 'bob']);
      await pool.query(
        `DELETE FROM ${table('friendship_table')} WHERE user_id1 = 'alice' AND user_id2 = 'bob'`,
      );
      expect(await changes.take()).toEqual(['alice', 'bob']);
      await pool.query(
        `UPDATE ${table('user_table')} SET domain_deny_array = '{bank.example}' WHERE user_id = 'carol'`,
      );
      expect(await changes.take()).toEqual(['carol']);
      // A profile change is not the cache's business.
      await pool.query(
        `UPDATE ${table('user_table')} SET first_name = 'C' WHERE user_id = 'carol'`,
      );
      await pool.query(
        `INSERT INTO ${table('user_table')} (user_id, first_name, last_name) VALUES ('erin', 'E', 'L')`,
      );
      expect(await changes.take()).toEqual(['erin']);
      // A rolled-back change is never announced.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`DELETE FROM ${table('friendship_table')} WHERE user_id1 = 'carol'`);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await pool.query(
        `UPDATE ${table('user_table')} SET share_mode = 'default_all' WHERE user_id = 'dave'`,
      );
      expect(await changes.take()).toEqual(['dave']);
    } finally {
      await listener.close();
    }
  });

  it('makes a caching graph forget an unfriended user at once; a hit reads PostgreSQL 0 times', async () => {
    await pool.query(
      `INSERT INTO ${table('friendship_table')} (user_id1, user_id2, accepted_at) VALUES ('bob', 'carol', now())`,
    );
    const postgres = new PostgresFriendGraph({ pool, schema });
    const graph = new CachingFriendGraph(postgres, {
      cache: new MemoryFriendCache(),
      ttlSeconds: 3600,
    });
    const changes = recorder();
    const listener = await listenForGraphChanges({
      connectionString: TEST_DATABASE_URL,
      channel,
      onChange: async (ids) => {
        await graph.invalidate(ids);
        changes.onChange(ids);
      },
    });
    const spy = vi.spyOn(pool, 'query');
    try {
      expect(await graph.friendsOf('bob')).toContain('carol');
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockClear();
      expect(await graph.friendsOf('bob')).toContain('carol');
      expect(await graph.areFriends('carol', 'bob')).toBe(true);
      expect(spy).not.toHaveBeenCalled();

      await pool.query(
        `DELETE FROM ${table('friendship_table')} WHERE user_id1 = 'bob' AND user_id2 = 'carol'`,
      );
      expect(await changes.take()).toEqual(['bob', 'carol']);
      spy.mockClear();
      expect(await graph.friendsOf('bob')).not.toContain('carol');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      await listener.close();
    }
  });

  it('reconnects after its session is killed, tells onReconnect, and hears changes again', async () => {
    const changes = recorder();
    let reconnected!: () => void;
    const reconnect = new Promise<void>((resolve) => {
      reconnected = resolve;
    });
    const listener: GraphChangeListener = await listenForGraphChanges({
      connectionString: TEST_DATABASE_URL,
      clientConfig: { application_name: applicationName },
      channel,
      reconnectDelayMs: 10,
      onChange: changes.onChange,
      onReconnect: () => reconnected(),
    });
    try {
      const killed = await pool.query(
        'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(killed.rows).toEqual([{ done: true }]);
      await Promise.race([
        reconnect,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no reconnect')), WAIT_MS)),
      ]);
      await pool.query(
        `UPDATE ${table('user_table')} SET share_mode = 'default_none' WHERE user_id = 'alice'`,
      );
      expect(await changes.take()).toEqual(['alice']);
    } finally {
      await listener.close();
    }
  });

  it('fails with GraphUnavailableError when it cannot listen at all', async () => {
    await expect(
      listenForGraphChanges({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        onChange: () => undefined,
      }),
    ).rejects.toSatisfy(GraphUnavailableError.isInstance);
  });
});
