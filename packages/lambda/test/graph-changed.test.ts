import { PresenceError } from '@presence/core';
import { PostgresFriendGraph } from '@presence/postgres';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FRIENDSHIP_CHANGED,
  InvalidGraphChangeError,
  type PresenceHandlers,
  parseGraphChangeEvent,
  SHARING_SETTINGS_CHANGED,
} from '../src/index.js';
import { updateEvent, webSocketEvent } from './support/fixtures.js';
import { backendsAvailable, closedPort, DATABASE_URL } from './support/infra.js';
import { ALICE, BOB, CAROL } from './support/users.js';
import { createWorld, type LogLine, type World } from './support/world.js';

const available = await backendsAvailable('graph-changed.test.ts');

/** An EventBridge event as the user service puts it on its bus. */
function graphEvent(detailType: string, detail: unknown): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source: 'com.example.users',
    account: '123456789012',
    time: '2025-11-28T10:03:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

describe('parseGraphChangeEvent', () => {
  it('reads both detail-types', () => {
    expect(
      parseGraphChangeEvent(graphEvent(FRIENDSHIP_CHANGED, { userA: 'a', userB: 'b' })),
    ).toEqual({ kind: 'friendship', userA: 'a', userB: 'b' });
    expect(parseGraphChangeEvent(graphEvent(SHARING_SETTINGS_CHANGED, { userId: 'a' }))).toEqual({
      kind: 'sharing-settings',
      userId: 'a',
    });
  });

  it.each([
    ['an unknown detail-type', graphEvent('UserDeleted', { userId: 'secret-id' })],
    ['a missing userB', graphEvent(FRIENDSHIP_CHANGED, { userA: 'secret-id' })],
    ['a number for an id', graphEvent(FRIENDSHIP_CHANGED, { userA: 'secret-id', userB: 7 })],
    ['an empty id', graphEvent(SHARING_SETTINGS_CHANGED, { userId: '' })],
    ['one user twice', graphEvent(FRIENDSHIP_CHANGED, { userA: 'secret-id', userB: 'secret-id' })],
    ['no detail', graphEvent(SHARING_SETTINGS_CHANGED, null)],
    ['not an object', 'secret-id'],
  ])('refuses %s with InvalidGraphChangeError naming fields, never values', (_, event) => {
    let error: unknown;
    try {
      parseGraphChangeEvent(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidGraphChangeError);
    expect(PresenceError.isInstance(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).not.toContain('secret-id');
  });
});

describe.skipIf(!available)(
  'graph-changed handler over real Redis, PostgreSQL and an @connections stand-in, friend cache on',
  () => {
    let world: World;
    let cached: PresenceHandlers;
    let admin: PostgresFriendGraph;
    const db = { query: (sql: string, values: unknown[]) => admin.pool.query(sql, values) };
    let schema: string;
    let n = 0;
    const conn = () => `Gc${(n++).toString(36).padStart(4, '0')}LUIAMCJ5w=`;

    beforeAll(async () => {
      world = await createWorld('graph');
      // A TTL far longer than the test: only an invalidation can make a read fresh.
      cached = world.variant({ PRESENCE_FRIEND_CACHE_SECONDS: '3600' }).handlers;
      admin = new PostgresFriendGraph({ connectionString: DATABASE_URL });
      schema = world.env.DB_SCHEMA as string;
    });
    afterAll(async () => {
      await admin.close();
      await world.close();
    });
    afterEach(() => {
      world.gateway.clear();
    });

    const connect = async (userId: string) => {
      const connectionId = conn();
      await cached.connect(webSocketEvent('websocket-connect', { userId, connectionId }));
      return connectionId;
    };
    const graphChangedLines = () =>
      world.logs.filter((line: LogLine) => line.op === 'graph-changed');

    it('an unfriended user keeps receiving frames from the cache until FriendshipChanged, then none', async () => {
      // Prepare: both online, Alice's first update fills the cache with Bob as her friend
      const alice = await connect(ALICE);
      const bob = await connect(BOB);
      await cached.updatePresence(updateEvent(ALICE, alice, 'https://example.org/a', 'A'));
      expect(world.gateway.framesFor(bob)).toHaveLength(1);
      // The user service removes the friendship (both rows)
      await db.query(
        `DELETE FROM "${schema}".friendship_table WHERE (user_id1 = $1 AND user_id2 = $2) OR (user_id1 = $2 AND user_id2 = $1)`,
        [ALICE, BOB],
      );
      world.gateway.clear();
      // The cache still holds the friendship: without an invalidation Bob sees Alice until the TTL
      await cached.updatePresence(updateEvent(ALICE, alice, 'https://example.org/b', 'B'));
      expect(world.gateway.framesFor(bob)).toHaveLength(1);
      world.gateway.clear();
      // Act: the user service's event
      const result = await cached.graphChanged(
        graphEvent(FRIENDSHIP_CHANGED, { userA: ALICE, userB: BOB }),
      );
      // Assess: each side's view drops the other at once, with no last seen
      expect(result).toEqual({ outcome: 'applied', kind: 'friendship' });
      expect(world.gateway.framesFor(bob)).toEqual([
        { type: 'presence-timeout', userId: ALICE, lastSeenAt: null },
      ]);
      expect(world.gateway.framesFor(alice)).toEqual([
        { type: 'presence-timeout', userId: BOB, lastSeenAt: null },
      ]);
      world.gateway.clear();
      // ...and Alice's next update no longer reaches Bob
      await cached.updatePresence(updateEvent(ALICE, alice, 'https://example.org/c', 'C'));
      expect(world.gateway.framesFor(bob)).toEqual([]);
      expect(world.gateway.framesFor(alice)).toHaveLength(1); // her own other tabs still do
      // Nothing personal at info: no ids, no URLs
      for (const line of graphChangedLines().filter((l) => l.level !== 'debug')) {
        const text = JSON.stringify(line);
        expect(text).not.toContain(ALICE);
        expect(text).not.toContain(BOB);
      }
    });

    it('SharingSettingsChanged sends the frame again under the new rule to online friends', async () => {
      // Prepare: Alice and Carol friends and online; Alice on a page she shares
      const alice = await connect(ALICE);
      const carol = await connect(CAROL);
      await cached.updatePresence(
        updateEvent(ALICE, alice, 'https://news.example.net/story', 'Story'),
      );
      expect(world.gateway.framesFor(carol)[0]).toMatchObject({
        userId: ALICE,
        url: 'https://news.example.net/story',
      });
      world.gateway.clear();
      // Alice stops sharing that site in the user service
      await db.query(
        `UPDATE "${schema}".user_table SET domain_deny_array = array_append(domain_deny_array, 'example.net') WHERE user_id = $1`,
        [ALICE],
      );
      // Act
      const result = await cached.graphChanged(
        graphEvent(SHARING_SETTINGS_CHANGED, { userId: ALICE }),
      );
      // Assess: the page leaves Carol's view at once
      expect(result).toEqual({ outcome: 'applied', kind: 'sharing-settings' });
      const frames = world.gateway.framesFor(carol);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ type: 'update-presence', userId: ALICE, url: '' });
      expect(JSON.stringify(frames[0])).not.toContain('example.net');
    });

    it.each([
      ['an unknown detail-type', graphEvent('UserDeleted', { userId: ALICE })],
      ['a missing userB', graphEvent(FRIENDSHIP_CHANGED, { userA: ALICE })],
      [
        'an id over the length limit',
        graphEvent(SHARING_SETTINGS_CHANGED, { userId: 'x'.repeat(1000) }),
      ],
      ['an id with a slash', graphEvent(FRIENDSHIP_CHANGED, { userA: ALICE, userB: 'a/b' })],
    ])(
      'drops %s: logged at warn without ids, the invocation succeeds (no retry)',
      async (_, event) => {
        // Prepare
        const before = world.logs.length;
        // Act
        const result = await cached.graphChanged(event);
        // Assess
        expect(result).toEqual({ outcome: 'dropped' });
        const lines = world.logs.slice(before);
        const warn = lines.find((l) => l.level === 'warn' && l.op === 'graph-changed');
        expect(warn).toMatchObject({ code: 'invalid_input' });
        for (const line of lines.filter((l) => l.level !== 'debug')) {
          expect(JSON.stringify(line)).not.toContain(ALICE);
        }
        expect(world.gateway.posted).toEqual([]);
      },
    );

    it('fails the invocation when the cache cannot be invalidated, so EventBridge retries it', async () => {
      // Prepare: a runtime whose Redis is a closed port
      const port = await closedPort();
      const { handlers } = world.variant({
        REDIS_URL: `redis://127.0.0.1:${port}`,
        PRESENCE_FRIEND_CACHE_SECONDS: '60',
      });
      // Act
      const outcome = await handlers
        .graphChanged(graphEvent(FRIENDSHIP_CHANGED, { userA: ALICE, userB: CAROL }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      // Assess: a 503-class error, not a drop
      expect(PresenceError.isInstance(outcome) && outcome.code).toBe('store_unavailable');
    });
  },
);
