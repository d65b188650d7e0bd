import { type FriendGraphSeed, GraphUnavailableError, InvalidInputError } from '@presence/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostgresFriendGraph, seedFriendGraph } from '../src/index.js';
import { freshSchema, postgresAvailable, testPool } from './helpers.js';

const available = await postgresAvailable('friend-graph.test.ts');

const QUOTED = `o'brien";DROP--{x,"y"}`;
const UNICODE = 'ユーザー-ü-😀';
const LONG = 'L'.repeat(128);
const ids = ['alice', 'bob', 'carol', 'dave', 'erin', QUOTED, UNICODE, LONG];
const user = (userId: string) => ({
  userId,
  firstName: `First ${userId}`,
  lastName: `Last ${userId}`,
  profileImageExtension: userId === 'bob' ? 'png' : null,
});

const seed: FriendGraphSeed = {
  users: [
    ...ids.map(user),
    {
      ...user('sharer'),
      sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['bank.com'] },
    },
    {
      ...user('picky'),
      sharing: { shareMode: 'default_none', domainAllowList: ['github.com'], domainDenyList: [] },
    },
  ],
  friendships: [
    // Both directions accepted: one friendship.
    { from: 'alice', to: 'bob', accepted: true },
    { from: 'bob', to: 'alice', accepted: true },
    // Received direction only.
    { from: 'carol', to: 'alice', accepted: true },
    // Pending either way: not friends.
    { from: 'alice', to: 'dave', accepted: false },
    { from: 'erin', to: 'alice', accepted: false },
    // A self row never makes a user their own friend.
    { from: 'alice', to: 'alice', accepted: true },
    // Awkward ids.
    { from: QUOTED, to: UNICODE, accepted: true },
    { from: LONG, to: QUOTED, accepted: true },
    // A friend the user table does not know.
    { from: 'carol', to: 'ghost-friend', accepted: true },
  ],
};

const sorted = (values: Iterable<string>) => [...values].sort();

describe.skipIf(!available)('PostgresFriendGraph against PostgreSQL', () => {
  const pool = testPool();
  let drop: () => Promise<void>;
  let schema: string;
  let graph: PostgresFriendGraph;

  beforeAll(async () => {
    const fresh = await freshSchema(pool);
    drop = fresh.drop;
    schema = fresh.schema;
    await seedFriendGraph(pool, seed, fresh.names);
    graph = new PostgresFriendGraph({ pool, schema });
    await graph.validateSchema();
  });

  afterAll(async () => {
    await graph?.close();
    await drop?.();
    await pool.end();
  });

  describe('friends', () => {
    it('counts A→B plus B→A once and includes the received direction', async () => {
      expect(sorted(await graph.friendsOf('alice'))).toEqual(['bob', 'carol']);
      expect(await graph.friendsOf('bob')).toEqual(['alice']);
    });

    it('ignores pending requests in both directions', async () => {
      expect(await graph.friendsOf('dave')).toEqual([]);
      expect(await graph.friendsOf('erin')).toEqual([]);
      expect(await graph.areFriends('alice', 'dave')).toBe(false);
      expect(await graph.areFriends('dave', 'alice')).toBe(false);
      expect(await graph.areFriends('erin', 'alice')).toBe(false);
    });

    it('never lists a user as their own friend, even with a self row', async () => {
      expect(await graph.friendsOf('alice')).not.toContain('alice');
      expect((await graph.friendsOfMany(['alice'])).get('alice')).not.toContain('alice');
      expect(await graph.areFriends('alice', 'alice')).toBe(false);
    });

    it('answers areFriends in either direction', async () => {
      expect(await graph.areFriends('alice', 'carol')).toBe(true);
      expect(await graph.areFriends('carol', 'alice')).toBe(true);
      expect(await graph.areFriends('bob', 'carol')).toBe(false);
    });

    it('keeps friends the user table does not know', async () => {
      expect(sorted(await graph.friendsOf('carol'))).toEqual(['alice', 'ghost-friend']);
    });

    it('handles ids with quotes, SQL, unicode and 128 characters', async () => {
      expect(sorted(await graph.friendsOf(QUOTED))).toEqual(sorted([UNICODE, LONG]));
      expect(await graph.friendsOf(UNICODE)).toEqual([QUOTED]);
      expect(await graph.friendsOf(LONG)).toEqual([QUOTED]);
      expect(await graph.areFriends(UNICODE, QUOTED)).toBe(true);
      const many = await graph.friendsOfMany([QUOTED, UNICODE, LONG]);
      expect(sorted(many.get(QUOTED) ?? [])).toEqual(sorted([UNICODE, LONG]));
      expect(many.get(LONG)).toEqual([QUOTED]);
      const profiles = await graph.profilesOf([QUOTED, UNICODE, LONG]);
      expect(sorted(profiles.keys())).toEqual(sorted([QUOTED, UNICODE, LONG]));
      expect(profiles.get(UNICODE)?.firstName).toBe(`First ${UNICODE}`);
    });

    it('gives friendsOfMany an entry per requested id, deduplicated, empty for unknown ids', async () => {
      const many = await graph.friendsOfMany(['alice', 'bob', 'alice', 'nobody', 'dave']);
      expect(sorted(many.keys())).toEqual(['alice', 'bob', 'dave', 'nobody']);
      expect(sorted(many.get('alice') ?? [])).toEqual(['bob', 'carol']);
      expect(many.get('bob')).toEqual(['alice']);
      expect(many.get('nobody')).toEqual([]);
      expect(many.get('dave')).toEqual([]);
    });
  });

  describe('unknown ids are absent, not errors', () => {
    it('has no friends, profile or settings for an unknown user', async () => {
      expect(await graph.friendsAndSettingsOf('nobody')).toEqual({
        friends: [],
        settings: undefined,
      });
      expect(await graph.friendsWithProfilesOf('nobody')).toEqual({
        friends: [],
        profiles: new Map(),
        settings: new Map(),
      });
      expect(await graph.friendsOf('nobody')).toEqual([]);
      expect(await graph.areFriends('nobody', 'alice')).toBe(false);
      expect((await graph.profilesOf(['nobody', 'alice'])).has('nobody')).toBe(false);
      expect(await graph.sharingSettingsOf('nobody')).toBeUndefined();
    });
  });

  describe('profiles and sharing settings', () => {
    it('returns profiles with a null image extension kept as null', async () => {
      const profiles = await graph.profilesOf(['alice', 'bob']);
      expect(profiles.get('alice')).toEqual({
        userId: 'alice',
        firstName: 'First alice',
        lastName: 'Last alice',
        profileImageExtension: null,
      });
      expect(profiles.get('bob')?.profileImageExtension).toBe('png');
    });

    it('reads both share modes with their lists', async () => {
      expect(await graph.sharingSettingsOf('sharer')).toEqual({
        shareMode: 'default_all',
        domainAllowList: [],
        domainDenyList: ['bank.com'],
      });
      expect(await graph.sharingSettingsOf('picky')).toEqual({
        shareMode: 'default_none',
        domainAllowList: ['github.com'],
        domainDenyList: [],
      });
      // Column defaults for a user who never changed settings.
      expect(await graph.sharingSettingsOf('alice')).toEqual({
        shareMode: 'default_none',
        domainAllowList: [],
        domainDenyList: [],
      });
    });

    it('reads an unknown share_mode as sharing nothing', async () => {
      await pool.query(
        `UPDATE "${schema}"."user_table" SET share_mode = 'share_everything', domain_allow_array = '{github.com}' WHERE user_id = 'erin'`,
      );
      const nothing = { shareMode: 'default_none', domainAllowList: [], domainDenyList: [] };
      expect(await graph.sharingSettingsOf('erin')).toEqual(nothing);
      expect((await graph.friendsAndSettingsOf('erin')).settings).toEqual(nothing);
    });
  });

  describe('queries', () => {
    it('runs friendsOfMany for 1,000 users as ONE query', async () => {
      const many = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
      await seedFriendGraph(
        pool,
        {
          users: many.map(user),
          friendships: many.map((id, i) => ({
            from: id,
            to: many[(i + 1) % many.length] as string,
            accepted: true,
          })),
        },
        { schema },
      );
      const spy = vi.spyOn(pool, 'query');
      try {
        const result = await graph.friendsOfMany(many);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(result.size).toBe(1000);
        expect(sorted(result.get('bulk-5') ?? [])).toEqual(['bulk-4', 'bulk-6']);
        spy.mockClear();
        const profiles = await graph.profilesOf(many);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(profiles.size).toBe(1000);
      } finally {
        spy.mockRestore();
      }
    });

    it('reads update-presence’s friends and settings, and GET /presence’s friends and profiles, in ONE query each', async () => {
      const spy = vi.spyOn(pool, 'query');
      try {
        const both = await graph.friendsAndSettingsOf('sharer');
        expect(spy).toHaveBeenCalledTimes(1);
        expect(both).toEqual({
          friends: [],
          settings: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['bank.com'] },
        });
        spy.mockClear();
        const withProfiles = await graph.friendsWithProfilesOf('carol');
        expect(spy).toHaveBeenCalledTimes(1);
        expect(sorted(withProfiles.friends)).toEqual(['alice', 'ghost-friend']);
        expect(sorted(withProfiles.profiles.keys())).toEqual(['alice', 'carol']);
        expect(withProfiles.profiles.get('carol')).toEqual({
          userId: 'carol',
          firstName: 'First carol',
          lastName: 'Last carol',
          profileImageExtension: null,
        });
        // The same query carries each known user's sharing settings (column defaults here).
        expect(sorted(withProfiles.settings.keys())).toEqual(['alice', 'carol']);
      } finally {
        spy.mockRestore();
      }
    });

    it('runs one query per call and none for empty input', async () => {
      const spy = vi.spyOn(pool, 'query');
      try {
        expect(await graph.friendsOfMany([])).toEqual(new Map());
        expect(await graph.profilesOf([])).toEqual(new Map());
        expect(spy).not.toHaveBeenCalled();
        await graph.friendsOf('alice');
        await graph.areFriends('alice', 'bob');
        await graph.sharingSettingsOf('alice');
        expect(spy).toHaveBeenCalledTimes(3);
      } finally {
        spy.mockRestore();
      }
    });

    it('uses unnamed statements by default and named, per-connection prepared ones when asked', async () => {
      // One connection, so pg_prepared_statements (per session) shows what the graphs left there.
      const single = testPool(1);
      const prepared = (): Promise<string[]> =>
        single
          .query<{ name: string }>(
            "SELECT name FROM pg_prepared_statements WHERE name LIKE 'presence_%' ORDER BY name",
          )
          .then((r) => r.rows.map((row) => row.name));
      try {
        const plain = new PostgresFriendGraph({ pool: single, schema });
        expect(sorted(await plain.friendsOf('alice'))).toEqual(['bob', 'carol']);
        expect(await prepared()).toEqual([]);

        const named = new PostgresFriendGraph({ pool: single, schema, preparedStatements: true });
        for (let i = 0; i < 2; i += 1) {
          expect(sorted(await named.friendsOf('alice'))).toEqual(['bob', 'carol']);
          expect(await named.areFriends('alice', 'bob')).toBe(true);
        }
        const names = await prepared();
        expect(names).toHaveLength(2);
        expect(names.some((n) => n.startsWith('presence_friendsOf_'))).toBe(true);
        expect(names.some((n) => n.startsWith('presence_areFriends_'))).toBe(true);

        // Another schema's graph on the same connection gets its own names, not the cached plans.
        const other = await freshSchema(single);
        try {
          await seedFriendGraph(
            single,
            {
              users: [user('alice'), user('zed')],
              friendships: [{ from: 'zed', to: 'alice', accepted: true }],
            },
            other.names,
          );
          const elsewhere = new PostgresFriendGraph({
            pool: single,
            schema: other.schema,
            preparedStatements: true,
          });
          expect(await elsewhere.friendsOf('alice')).toEqual(['zed']);
          expect(await prepared()).toHaveLength(3);
        } finally {
          await other.drop();
        }
      } finally {
        await single.end();
      }
    });

    it('only reads: every query is a SELECT', () => {
      for (const text of Object.values(graph.queries)) {
        expect(text).toMatch(/^(SELECT|WITH)\s/);
        expect(text).not.toMatch(/\b(INSERT|UPDATE|DELETE|TRUNCATE|ALTER|DROP)\b/i);
      }
    });
  });

  describe('bad input', () => {
    it.each([
      ['empty', ''],
      ['NUL', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
      ['129 characters', 'x'.repeat(129)],
      ['not a string', 42 as unknown as string],
    ])('rejects an id that is %s with InvalidInputError and no query', async (_, bad) => {
      const spy = vi.spyOn(pool, 'query');
      try {
        await expect(graph.friendsOf(bad)).rejects.toSatisfy(InvalidInputError.isInstance);
        await expect(graph.friendsOfMany(['alice', bad])).rejects.toSatisfy(
          InvalidInputError.isInstance,
        );
        await expect(graph.areFriends('alice', bad)).rejects.toSatisfy(
          InvalidInputError.isInstance,
        );
        await expect(graph.profilesOf([bad])).rejects.toSatisfy(InvalidInputError.isInstance);
        await expect(graph.sharingSettingsOf(bad)).rejects.toSatisfy(InvalidInputError.isInstance);
        await expect(graph.friendsAndSettingsOf(bad)).rejects.toSatisfy(
          InvalidInputError.isInstance,
        );
        await expect(graph.friendsWithProfilesOf(bad)).rejects.toSatisfy(
          InvalidInputError.isInstance,
        );
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('pool ownership', () => {
    it('leaves a given pool open on close, then refuses calls', async () => {
      const own = new PostgresFriendGraph({ pool, schema });
      await own.close();
      await own.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      await expect(own.friendsOf('alice')).rejects.toSatisfy(GraphUnavailableError.isInstance);
    });
  });
});
