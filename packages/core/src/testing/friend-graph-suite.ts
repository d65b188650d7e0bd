import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FriendGraphSeed, SeedUser, SharingSettings } from '../model.js';
import type { FriendGraph } from '../ports.js';

/** A graph made for one test, with what to run after it. */
export interface FriendGraphHandle {
  readonly graph: FriendGraph;
  /** Runs after the test (drop the schema, end the pool). Without it the suite calls `graph.close?.()`. */
  readonly cleanup?: () => Promise<void>;
}

/** Loads `seed` into a fresh graph (insert the rows into empty tables); called before every test. */
export type FriendGraphFactory = (
  seed: FriendGraphSeed,
) => Promise<FriendGraph | FriendGraphHandle>;

/** Options of {@link describeFriendGraph}. */
export interface FriendGraphSuiteOptions {
  /**
   * What the graph returns for a seed user that has no `sharing`. A PostgreSQL `user_table` row
   * always has settings (the column defaults: `default_none`, empty lists), so a Postgres graph
   * passes those; the in-memory graph keeps none. Unknown users must still give `undefined`.
   * @default undefined
   */
  readonly defaultSharing?: SharingSettings;
}

const ALICE = 'alice';
const BOB = 'bob';
const QUOTE = `o'brien"the-quote"`;
const UNICODE = 'łukasz-ünïcødé-用户-😀';
const LONG = `google_${'7'.repeat(121)}`;
const BRACES = '{braces}user';
const UUID = '3f1c2a9e-6b7d-4e1a-9c2f-5d8e7a6b4c3d';
const WILDCARD = '100%_user,{x}';
const LONER = 'loner';
const UNKNOWN = 'nobody-here';
/** In friendship rows only: a friend the user table does not know (no profile, no settings). */
const GHOST = 'ghost-without-profile';

const ALICE_SHARING: SharingSettings = {
  shareMode: 'default_none',
  domainAllowList: ['github.com', 'foo.github.io', 'bbc.co.uk'],
  domainDenyList: [],
};
const BOB_SHARING: SharingSettings = {
  shareMode: 'default_all',
  domainAllowList: [],
  domainDenyList: ['facebook.com', 'xn--80ak6aa92e.com'],
};

function user(userId: string, extra: Partial<SeedUser> = {}): SeedUser {
  return {
    userId,
    firstName: `First ${userId}`,
    lastName: `Last ${userId}`,
    profileImageExtension: 'png',
    ...extra,
  };
}

/**
 * The fixture every test loads. Friendships (accepted unless noted):
 * alice–bob (both directions), alice→quote, unicode→alice, alice→long pending, braces→alice pending,
 * alice→alice (a self row, ignored), long→braces, uuid→wildcard plus wildcard→uuid pending,
 * quote→unicode pending, uuid→ghost (ghost has no user row). loner has no rows; nobody-here is not
 * a user.
 */
const SEED: FriendGraphSeed = {
  users: [
    user(ALICE, { sharing: ALICE_SHARING }),
    user(BOB, { firstName: 'Bøb', lastName: `D'Arcy "Bobby"`, sharing: BOB_SHARING }),
    user(QUOTE, { profileImageExtension: null, firstName: `O'Brien`, lastName: '"Q"' }),
    user(UNICODE, { firstName: 'Łukasz', lastName: '用户 😀', profileImageExtension: 'jpeg' }),
    user(LONG, { profileImageExtension: null }),
    user(BRACES, {
      sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: [] },
    }),
    user(UUID),
    user(WILDCARD, { profileImageExtension: null }),
    user(LONER),
  ],
  friendships: [
    { from: ALICE, to: BOB, accepted: true },
    { from: BOB, to: ALICE, accepted: true },
    { from: ALICE, to: QUOTE, accepted: true },
    { from: UNICODE, to: ALICE, accepted: true },
    { from: ALICE, to: LONG, accepted: false },
    { from: BRACES, to: ALICE, accepted: false },
    { from: ALICE, to: ALICE, accepted: true },
    { from: LONG, to: BRACES, accepted: true },
    { from: UUID, to: WILDCARD, accepted: true },
    { from: WILDCARD, to: UUID, accepted: false },
    { from: QUOTE, to: UNICODE, accepted: false },
    { from: UUID, to: GHOST, accepted: true },
  ],
};

/** Accepted friends of every seed user, as the contract defines them. */
const EXPECTED_FRIENDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  [ALICE, [BOB, QUOTE, UNICODE]],
  [BOB, [ALICE]],
  [QUOTE, [ALICE]],
  [UNICODE, [ALICE]],
  [LONG, [BRACES]],
  [BRACES, [LONG]],
  [UUID, [WILDCARD, GHOST]],
  [WILDCARD, [UUID]],
  [LONER, []],
  [GHOST, [UUID]],
];

/** The seeded profile of a seed user (what `profilesOf` must return), `undefined` for others. */
function seededProfile(userId: string) {
  const u = SEED.users.find((candidate) => candidate.userId === userId);
  return u === undefined
    ? undefined
    : {
        userId: u.userId,
        firstName: u.firstName,
        lastName: u.lastName,
        profileImageExtension: u.profileImageExtension,
      };
}

/** The settings the contract gives a user: seeded ones, the graph default, or none when unknown. */
function expectedSettings(userId: string, options: FriendGraphSuiteOptions) {
  const u = SEED.users.find((candidate) => candidate.userId === userId);
  if (u === undefined) return undefined;
  return u.sharing ?? options.defaultSharing;
}

const sorted = (ids: readonly string[] | undefined) =>
  ids === undefined ? undefined : [...ids].sort();

interface GraphContext {
  graph(): FriendGraph;
  readonly options: FriendGraphSuiteOptions;
}

function friendsTests(ctx: GraphContext): void {
  describe('friendsOf', () => {
    it.each(EXPECTED_FRIENDS)(
      'friendsOf(%j) lists accepted friends, deduplicated',
      async (id, friends) => {
        const result = await ctx.graph().friendsOf(id);
        expect(sorted(result)).toEqual(sorted(friends));
        expect(new Set(result).size).toBe(result.length);
      },
    );

    it('ignores a self-friendship row and pending requests in either direction', async () => {
      const friends = await ctx.graph().friendsOf(ALICE);
      expect(friends).not.toContain(ALICE);
      expect(friends).not.toContain(LONG);
      expect(friends).not.toContain(BRACES);
    });

    it('an unknown user has no friends', async () => {
      expect(await ctx.graph().friendsOf(UNKNOWN)).toEqual([]);
    });
  });

  describe('friendsOfMany', () => {
    it('answers every requested id, unknown ones with an empty list', async () => {
      const ids = [ALICE, UNKNOWN, LONER, UUID, BRACES, QUOTE];
      const result = await ctx.graph().friendsOfMany(ids);
      expect([...result.keys()].sort()).toEqual([...ids].sort());
      const expected = new Map(EXPECTED_FRIENDS);
      for (const id of ids) expect(sorted(result.get(id))).toEqual(sorted(expected.get(id) ?? []));
    });

    it('matches friendsOf for every seed user', async () => {
      const graph = ctx.graph();
      const ids = EXPECTED_FRIENDS.map(([id]) => id);
      const many = await graph.friendsOfMany(ids);
      for (const id of ids) expect(sorted(many.get(id))).toEqual(sorted(await graph.friendsOf(id)));
    });

    it('an empty list gives an empty map', async () => {
      expect(await ctx.graph().friendsOfMany([])).toEqual(new Map());
    });

    it('a repeated id is answered once, correctly', async () => {
      const result = await ctx.graph().friendsOfMany([BOB, BOB]);
      expect([...result.keys()]).toEqual([BOB]);
      expect(result.get(BOB)).toEqual([ALICE]);
    });
  });
}

function areFriendsTests(ctx: GraphContext): void {
  describe('areFriends', () => {
    it.each([
      [ALICE, BOB],
      [ALICE, QUOTE],
      [ALICE, UNICODE],
      [LONG, BRACES],
      [UUID, WILDCARD],
    ])('%j and %j are friends, in both directions', async (a, b) => {
      const graph = ctx.graph();
      expect(await graph.areFriends(a, b)).toBe(true);
      expect(await graph.areFriends(b, a)).toBe(true);
    });

    it.each([
      [ALICE, LONG, 'pending, sent'],
      [ALICE, BRACES, 'pending, received'],
      [QUOTE, UNICODE, 'pending'],
      [BOB, QUOTE, 'friends of a friend'],
      [LONER, ALICE, 'strangers'],
      [ALICE, UNKNOWN, 'unknown user'],
      [UNKNOWN, 'also-unknown', 'two unknown users'],
      [ALICE, ALICE, 'self, despite a self row'],
      [ALICE, 'ALICE', 'ids are case-sensitive'],
    ])('%j and %j are not friends (%s)', async (a, b) => {
      const graph = ctx.graph();
      expect(await graph.areFriends(a, b)).toBe(false);
      expect(await graph.areFriends(b, a)).toBe(false);
    });
  });
}

function profileTests(ctx: GraphContext): void {
  describe('profilesOf', () => {
    it('returns profiles as seeded, null image extensions included', async () => {
      const ids = SEED.users.map((u) => u.userId);
      const result = await ctx.graph().profilesOf(ids);
      expect(result.size).toBe(ids.length);
      for (const u of SEED.users) expect(result.get(u.userId)).toEqual(seededProfile(u.userId));
    });

    it('leaves unknown ids out', async () => {
      const result = await ctx.graph().profilesOf([UNKNOWN, QUOTE, 'Alice']);
      expect([...result.keys()]).toEqual([QUOTE]);
      expect(result.get(QUOTE)?.profileImageExtension).toBeNull();
    });

    it('an empty list gives an empty map', async () => {
      expect(await ctx.graph().profilesOf([])).toEqual(new Map());
    });
  });
}

function sharingTests(ctx: GraphContext): void {
  describe('sharingSettingsOf', () => {
    it.each([
      [ALICE, ALICE_SHARING],
      [BOB, BOB_SHARING],
      [BRACES, { shareMode: 'default_all', domainAllowList: [], domainDenyList: [] }],
    ])('returns the settings of %j', async (id, settings) => {
      expect(await ctx.graph().sharingSettingsOf(id)).toEqual(settings);
    });

    it('a seed user without settings gets the graph default', async () => {
      expect(await ctx.graph().sharingSettingsOf(UUID)).toEqual(ctx.options.defaultSharing);
      expect(await ctx.graph().sharingSettingsOf(QUOTE)).toEqual(ctx.options.defaultSharing);
    });

    it('an unknown user has no settings', async () => {
      expect(await ctx.graph().sharingSettingsOf(UNKNOWN)).toBeUndefined();
    });
  });
}

function combinedReadTests(ctx: GraphContext): void {
  describe('friendsAndSettingsOf', () => {
    it.each(EXPECTED_FRIENDS)(
      'friendsAndSettingsOf(%j) reads the accepted friends and the user’s settings',
      async (id, friends) => {
        const result = await ctx.graph().friendsAndSettingsOf(id);
        expect(sorted(result.friends)).toEqual(sorted(friends));
        expect(new Set(result.friends).size).toBe(result.friends.length);
        expect(result.settings).toEqual(expectedSettings(id, ctx.options));
      },
    );

    it('counts A→B plus B→A once, ignores pending requests both ways and a self row', async () => {
      const { friends } = await ctx.graph().friendsAndSettingsOf(ALICE);
      expect(friends.filter((f) => f === BOB)).toEqual([BOB]);
      expect(friends).not.toContain(ALICE);
      expect(friends).not.toContain(LONG);
      expect(friends).not.toContain(BRACES);
    });

    it('keeps a friend the user table does not know', async () => {
      expect((await ctx.graph().friendsAndSettingsOf(UUID)).friends).toContain(GHOST);
    });

    it('an unknown user has no friends and no settings', async () => {
      expect(await ctx.graph().friendsAndSettingsOf(UNKNOWN)).toEqual({
        friends: [],
        settings: undefined,
      });
    });
  });

  describe('friendsWithProfilesOf', () => {
    it.each(EXPECTED_FRIENDS)(
      'friendsWithProfilesOf(%j) reads the friends with their profiles and the user’s own',
      async (id, friends) => {
        const result = await ctx.graph().friendsWithProfilesOf(id);
        expect(sorted(result.friends)).toEqual(sorted(friends));
        expect(new Set(result.friends).size).toBe(result.friends.length);
        const known = [id, ...friends].filter((u) => seededProfile(u) !== undefined);
        expect(sorted([...result.profiles.keys()])).toEqual(sorted(known));
        for (const u of known) expect(result.profiles.get(u)).toEqual(seededProfile(u));
        // Each user's sharing settings, as sharingSettingsOf answers them (absent when none).
        const withSettings = [id, ...friends].filter(
          (u) => expectedSettings(u, ctx.options) !== undefined,
        );
        expect(sorted([...result.settings.keys()])).toEqual(sorted(withSettings));
        for (const u of withSettings) {
          expect(result.settings.get(u)).toEqual(expectedSettings(u, ctx.options));
        }
      },
    );

    it('includes the caller’s own profile beside the friends’', async () => {
      const { profiles } = await ctx.graph().friendsWithProfilesOf(ALICE);
      expect(profiles.get(ALICE)).toEqual(seededProfile(ALICE));
      expect(profiles.get(BOB)?.lastName).toBe(`D'Arcy "Bobby"`);
    });

    it('a friend without a profile is listed, with no profile', async () => {
      const result = await ctx.graph().friendsWithProfilesOf(UUID);
      expect(result.friends).toContain(GHOST);
      expect(result.profiles.has(GHOST)).toBe(false);
    });

    it('a caller without a profile still gets their friends', async () => {
      const result = await ctx.graph().friendsWithProfilesOf(GHOST);
      expect(result.friends).toEqual([UUID]);
      expect([...result.profiles.keys()]).toEqual([UUID]);
    });

    it('a user with no friends gets their own profile only', async () => {
      const result = await ctx.graph().friendsWithProfilesOf(LONER);
      expect(result.friends).toEqual([]);
      expect([...result.profiles.keys()]).toEqual([LONER]);
    });

    it('an unknown user has no friends, no profiles and no settings', async () => {
      const result = await ctx.graph().friendsWithProfilesOf(UNKNOWN);
      expect(result.friends).toEqual([]);
      expect(result.profiles.size).toBe(0);
      expect(result.settings.size).toBe(0);
    });

    it('reads the friends’ own sharing settings beside the caller’s', async () => {
      const { settings } = await ctx.graph().friendsWithProfilesOf(ALICE);
      expect(settings.get(ALICE)).toEqual(ALICE_SHARING);
      expect(settings.get(BOB)).toEqual(BOB_SHARING);
    });
  });
}

/**
 * Registers the {@link FriendGraph} conformance suite with vitest. Before every test, `makeGraph`
 * receives the suite's own seed (ids with quotes, Unicode, braces, `%`/`_`/`,`, 128 characters;
 * pending requests; rows in both directions; a self row) and returns a graph over exactly that data.
 * @example
 * describeFriendGraph('memory', async (seed) => new MemoryFriendGraph(seed));
 */
export function describeFriendGraph(
  name: string,
  makeGraph: FriendGraphFactory,
  options: FriendGraphSuiteOptions = {},
): void {
  describe(`FriendGraph conformance: ${name}`, () => {
    let current: { graph: FriendGraph; dispose: () => Promise<void> } | undefined;
    beforeEach(async () => {
      const made = await makeGraph(SEED);
      if (typeof (made as FriendGraph).friendsOf === 'function') {
        const graph = made as FriendGraph;
        current = { graph, dispose: async () => graph.close?.() };
      } else {
        const { graph, cleanup } = made as FriendGraphHandle;
        current = { graph, dispose: cleanup ?? (async () => graph.close?.()) };
      }
    });
    afterEach(async () => {
      const opened = current;
      current = undefined;
      await opened?.dispose();
    });
    const ctx: GraphContext = {
      graph: () => {
        if (current === undefined) throw new Error('the graph is only available inside a test');
        return current.graph;
      },
      options,
    };
    friendsTests(ctx);
    areFriendsTests(ctx);
    profileTests(ctx);
    sharingTests(ctx);
    combinedReadTests(ctx);
  });
}
