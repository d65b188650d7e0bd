import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type { FriendGraphSeed } from '@presence/core';
import { ConfigError, PresenceError } from '@presence/core';
import { changeTriggersSql, createPool } from '@presence/postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPresence, startLocalPresence } from '../src/index.js';
import { DATABASE_URL, realBackend, realBackendProblem } from './support/backends.js';
import { is, TestClient } from './support/ws-client.js';

// Issue #13, end to end: the friend cache on (a TTL far longer than the test), real Redis and
// PostgreSQL behind presence-local; an unfriended user stops receiving the other's frames as soon
// as the invalidation runs (the PostgreSQL trigger's NOTIFY, or the service call), not at the TTL.

const problem = await realBackendProblem();
if (problem !== undefined) {
  const message = `Redis + PostgreSQL graph-change tests unavailable: ${problem}`;
  if (process.env.CI === 'true')
    throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
}

const ALICE = 'alice';
const BOB = 'bob';
const sharing = { shareMode: 'default_all', domainAllowList: [], domainDenyList: [] } as const;
const SEED: FriendGraphSeed = {
  users: [
    { userId: ALICE, firstName: 'Alice', lastName: 'A', profileImageExtension: null, sharing },
    { userId: BOB, firstName: 'Bob', lastName: 'B', profileImageExtension: null, sharing },
  ],
  friendships: [{ from: ALICE, to: BOB, accepted: true }],
};
/** An hour: far past the test, so only an invalidation can make a read fresh. */
const CACHE_SECONDS = 3600;

describe.skipIf(problem !== undefined)(
  'presence-local: unfriending with the friend cache on (Redis + PostgreSQL)',
  () => {
    const clients: TestClient[] = [];
    let local: LocalPresence | undefined;
    let cleanup: (() => Promise<void>) | undefined;

    /** A fresh schema and prefix, the triggers installed on a channel of this run's own. */
    const start = async (listen: boolean) => {
      const backend = realBackend('inproc');
      const options = await backend.prepare(SEED);
      cleanup = () => backend.cleanup();
      const schema = options.env?.DB_SCHEMA as string;
      const channel = `presence_test_${randomBytes(6).toString('hex')}`;
      const pool = createPool({ connectionString: DATABASE_URL });
      await pool.query(changeTriggersSql({ schema, channel }));
      local = await startLocalPresence({
        ...options,
        port: 0,
        sweepIntervalSeconds: 0,
        friendCacheSeconds: CACHE_SECONDS,
        ...(listen ? { listenGraphChanges: { channel } } : {}),
        env: { ...options.env, LOG_LEVEL: 'error' },
      });
      const open = async (userId: string) => {
        const client = await TestClient.open(
          (local as LocalPresence).wsUrl,
          await (local as LocalPresence).issueToken(userId),
          userId,
        );
        clients.push(client);
        return client;
      };
      const alice = await open(ALICE);
      const bob = await open(BOB);
      const unfriend = () =>
        pool.query(
          `DELETE FROM "${schema}".friendship_table WHERE (user_id1 = $1 AND user_id2 = $2) OR (user_id1 = $2 AND user_id2 = $1)`,
          [ALICE, BOB],
        );
      return { alice, bob, unfriend, pool, schema };
    };

    /** Alice sends a page; returns once Bob has everything the server wrote to him until then. */
    const aliceGoesTo = async (alice: TestClient, bob: TestClient, url: string) => {
      alice.update(url, 'Page');
      await alice.next(is.update(ALICE, url), 'her own frame');
      // Her update is fully handled (frames to Bob written) before her barrier is answered.
      await alice.barrier();
      await bob.barrier();
    };

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await local?.close();
      local = undefined;
      await cleanup?.();
      cleanup = undefined;
    });
    afterAll(async () => {
      await local?.close();
    });

    it('with --listen-graph-changes: the DELETE alone makes each side drop the other, and Bob gets none of her later frames', async () => {
      // Prepare: friends, both online; Alice's first update fills the cache with Bob as her friend
      const { alice, bob, unfriend, pool } = await start(true);
      expect(local?.listeningGraphChanges).toBe(true);
      await aliceGoesTo(alice, bob, 'https://example.org/before');
      expect(bob.unconsumed(is.update(ALICE, 'https://example.org/before'))).toHaveLength(1);
      // Act: the user service removes the friendship; its trigger NOTIFYs, presence-local listens
      await unfriend();
      // Assess: each side is told the other is gone (no last seen: that is for friends)
      expect(await bob.next(is.timeout(ALICE), 'the timeout frame for Alice')).toEqual({
        type: 'presence-timeout',
        userId: ALICE,
        lastSeenAt: null,
      });
      expect(await alice.next(is.timeout(BOB), 'the timeout frame for Bob')).toMatchObject({
        lastSeenAt: null,
      });
      // ...and Alice's next pages no longer reach Bob, although the cache's TTL runs for an hour
      await aliceGoesTo(alice, bob, 'https://example.org/after');
      expect(bob.unconsumed(is.update(ALICE))).toEqual([
        expect.objectContaining({ url: 'https://example.org/before' }),
      ]);
      await pool.end();
    });

    it('without the listener the cache keeps serving the friendship until the invalidation call, then stops', async () => {
      // Prepare
      const { alice, bob, unfriend, pool } = await start(false);
      expect(local?.listeningGraphChanges).toBe(false);
      await aliceGoesTo(alice, bob, 'https://example.org/1');
      await unfriend();
      // The visibility trade-off: with no invalidation, Bob still gets her pages (until the TTL)
      await aliceGoesTo(alice, bob, 'https://example.org/2');
      expect(bob.unconsumed(is.update(ALICE, 'https://example.org/2'))).toHaveLength(1);
      // Act: the invalidation call the user service makes (graph-changed runs the same)
      await local?.runtime.service?.friendshipChanged(ALICE, BOB);
      // Assess
      await bob.next(is.timeout(ALICE), 'the timeout frame for Alice');
      await aliceGoesTo(alice, bob, 'https://example.org/3');
      expect(bob.unconsumed(is.update(ALICE, 'https://example.org/3'))).toEqual([]);
      await pool.end();
    });
  },
);

describe('listenGraphChanges', () => {
  it('fails the start when the database cannot be listened to', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(
      startLocalPresence({
        port: 0,
        databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`,
        listenGraphChanges: true,
        env: { LOG_LEVEL: 'error' },
      }),
    ).rejects.toSatisfy(
      (error) => PresenceError.isInstance(error) && error.code === 'graph_unavailable',
    );
  });

  it('needs a database URL', async () => {
    await expect(startLocalPresence({ port: 0, listenGraphChanges: true })).rejects.toSatisfy(
      (error) => ConfigError.isInstance(error) && /databaseUrl/.test((error as Error).message),
    );
  });
});
