import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import type { FriendCache, FriendCacheLookup } from '../friend-cache.js';
import type { FriendsAndSettings } from '../ports.js';

/** A cache made for one test, with how to age it and what to run after it. */
export interface FriendCacheHandle {
  readonly cache: FriendCache;
  /**
   * Makes every entry set so far expire as if `ttlMs` had passed: advance the cache's fake clock,
   * or check the backend's TTLs are at most `ttlMs` and expire the keys now.
   */
  readonly expire: (ttlMs: number) => Promise<void>;
  /** Runs after the test (delete keys, quit the client). Without it the suite calls `cache.close?.()`. */
  readonly cleanup?: () => Promise<void>;
}

/** Makes a fresh, empty cache; called before every test. */
export type FriendCacheFactory = () => Promise<FriendCacheHandle>;

const ALICE = 'alice';
const BOB = `o'brien"bob" two`;
const CAROL = 'carol-ünïcødé-用户-😀';
const DAVE = '{dave}:tag';
const LONG = `google_${'1'.repeat(121)}`;
const TTL = 60_000;

const ALICE_ENTRY: FriendsAndSettings = {
  friends: [BOB, CAROL, DAVE, LONG],
  settings: {
    shareMode: 'default_none',
    domainAllowList: ['github.com', 'foo.github.io'],
    domainDenyList: [],
  },
};
const BOB_ENTRY: FriendsAndSettings = {
  friends: [ALICE],
  settings: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['bank.example'] },
};
const LONER_ENTRY: FriendsAndSettings = { friends: [], settings: undefined };

interface CacheContext {
  handle(): FriendCacheHandle;
}

function versionOf(lookup: FriendCacheLookup | undefined): string {
  if (lookup === undefined || lookup.hit) throw new Error('expected a miss');
  expect(typeof lookup.version).toBe('string');
  return lookup.version;
}

/** Looks the user up and fills its entry with the miss's version; returns what set said. */
async function fill(cache: FriendCache, userId: string, entry: FriendsAndSettings, ttl = TTL) {
  const version = versionOf((await cache.getMany([userId])).get(userId));
  return cache.set(userId, entry, version, ttl);
}

async function entryOf(cache: FriendCache, userId: string) {
  const lookup = (await cache.getMany([userId])).get(userId);
  return lookup?.hit ? lookup.entry : undefined;
}

function lookupTests(ctx: CacheContext): void {
  describe('getMany and set', () => {
    it('answers every requested id once: a user never set is a miss with a version', async () => {
      const result = await ctx.handle().cache.getMany([ALICE, BOB, ALICE]);
      expect([...result.keys()].sort()).toEqual([ALICE, BOB].sort());
      for (const lookup of result.values()) versionOf(lookup);
    });

    it('an empty list gives an empty map', async () => {
      expect(await ctx.handle().cache.getMany([])).toEqual(new Map());
    });

    it('returns entries exactly as set: awkward ids, empty friend lists, no settings', async () => {
      const { cache } = ctx.handle();
      expect(await fill(cache, ALICE, ALICE_ENTRY)).toBe(true);
      expect(await fill(cache, DAVE, BOB_ENTRY)).toBe(true);
      expect(await fill(cache, LONG, LONER_ENTRY)).toBe(true);
      const result = await cache.getMany([ALICE, DAVE, LONG, CAROL]);
      expect(result.get(ALICE)).toEqual({ hit: true, entry: ALICE_ENTRY });
      expect(result.get(DAVE)).toEqual({ hit: true, entry: BOB_ENTRY });
      expect(result.get(LONG)).toEqual({ hit: true, entry: LONER_ENTRY });
      expect(result.get(LONG)?.hit && result.get(LONG)).toMatchObject({
        entry: { settings: undefined },
      });
      versionOf(result.get(CAROL));
    });

    it('two fills from the same version both store: the last one wins', async () => {
      const { cache } = ctx.handle();
      const version = versionOf((await cache.getMany([BOB])).get(BOB));
      expect(await cache.set(BOB, LONER_ENTRY, version, TTL)).toBe(true);
      expect(await cache.set(BOB, BOB_ENTRY, version, TTL)).toBe(true);
      expect(await entryOf(cache, BOB)).toEqual(BOB_ENTRY);
    });

    it('a made-up version never fills', async () => {
      const { cache } = ctx.handle();
      expect(await cache.set(ALICE, ALICE_ENTRY, 'not-a-version-handed-out', TTL)).toBe(false);
      expect(await entryOf(cache, ALICE)).toBeUndefined();
    });
  });
}

function invalidationTests(ctx: CacheContext): void {
  describe('invalidate', () => {
    it('removes the entries of the given users and leaves the others', async () => {
      const { cache } = ctx.handle();
      await fill(cache, ALICE, ALICE_ENTRY);
      await fill(cache, BOB, BOB_ENTRY);
      await fill(cache, CAROL, LONER_ENTRY);
      await cache.invalidate([ALICE, BOB]);
      const result = await cache.getMany([ALICE, BOB, CAROL]);
      versionOf(result.get(ALICE));
      versionOf(result.get(BOB));
      expect(result.get(CAROL)).toEqual({ hit: true, entry: LONER_ENTRY });
    });

    it('voids a version handed out before it: a read in flight cannot put its answer back', async () => {
      const { cache } = ctx.handle();
      const before = versionOf((await cache.getMany([ALICE])).get(ALICE));
      await cache.invalidate([ALICE, BOB]);
      expect(await cache.set(ALICE, ALICE_ENTRY, before, TTL)).toBe(false);
      expect(await entryOf(cache, ALICE)).toBeUndefined();
      // A read that started after the invalidation fills normally.
      expect(await fill(cache, ALICE, BOB_ENTRY)).toBe(true);
      expect(await entryOf(cache, ALICE)).toEqual(BOB_ENTRY);
    });

    it('voids a version also when the user was invalidated twice, or had an entry', async () => {
      const { cache } = ctx.handle();
      await fill(cache, ALICE, ALICE_ENTRY);
      await cache.invalidate([ALICE]);
      const between = versionOf((await cache.getMany([ALICE])).get(ALICE));
      await cache.invalidate([ALICE]);
      expect(await cache.set(ALICE, ALICE_ENTRY, between, TTL)).toBe(false);
      expect(await entryOf(cache, ALICE)).toBeUndefined();
    });

    it('voids only the invalidated users’ versions', async () => {
      const { cache } = ctx.handle();
      const found = await cache.getMany([ALICE, CAROL]);
      await cache.invalidate([ALICE]);
      expect(await cache.set(CAROL, LONER_ENTRY, versionOf(found.get(CAROL)), TTL)).toBe(true);
      expect(await entryOf(cache, CAROL)).toEqual(LONER_ENTRY);
    });

    it('is idempotent and accepts unknown users and an empty list', async () => {
      const { cache } = ctx.handle();
      await cache.invalidate([]);
      await cache.invalidate(['never-cached', LONG, 'never-cached']);
      await cache.invalidate(['never-cached']);
      expect(await fill(cache, LONG, LONER_ENTRY)).toBe(true);
    });
  });
}

function ttlTests(ctx: CacheContext): void {
  describe('TTL', () => {
    it('serves an entry until its TTL, then misses, and fills again', async () => {
      const { cache, expire } = ctx.handle();
      await fill(cache, ALICE, ALICE_ENTRY);
      expect(await entryOf(cache, ALICE)).toEqual(ALICE_ENTRY);
      await expire(TTL);
      expect(await entryOf(cache, ALICE)).toBeUndefined();
      expect(await fill(cache, ALICE, BOB_ENTRY)).toBe(true);
      expect(await entryOf(cache, ALICE)).toEqual(BOB_ENTRY);
    });
  });
}

function badInputTests(ctx: CacheContext): void {
  describe('bad input', () => {
    it.each([
      ['not an array', 'alice' as unknown as string[]],
      ['an empty id', [ALICE, '']],
      ['a non-string id', [42 as unknown as string]],
      ['an id over 128 characters', ['x'.repeat(129)]],
    ])('getMany and invalidate refuse %s with InvalidInputError', async (_, ids) => {
      const { cache } = ctx.handle();
      await expect(cache.getMany(ids)).rejects.toSatisfy(InvalidInputError.isInstance);
      await expect(cache.invalidate(ids)).rejects.toSatisfy(InvalidInputError.isInstance);
    });

    it.each([
      ['an empty id', '', ALICE_ENTRY, TTL],
      ['a TTL of 0', ALICE, ALICE_ENTRY, 0],
      ['a fractional TTL', ALICE, ALICE_ENTRY, 1.5],
      ['friends not a list', ALICE, { friends: 'bob', settings: undefined }, TTL],
      [
        'an unknown share mode',
        ALICE,
        { friends: [], settings: { shareMode: 'all', domainAllowList: [], domainDenyList: [] } },
        TTL,
      ],
    ])('set refuses %s with InvalidInputError and stores nothing', async (_, id, entry, ttl) => {
      const { cache } = ctx.handle();
      const version = versionOf((await cache.getMany([ALICE])).get(ALICE));
      await expect(cache.set(id, entry as FriendsAndSettings, version, ttl)).rejects.toSatisfy(
        InvalidInputError.isInstance,
      );
      expect(await entryOf(cache, ALICE)).toBeUndefined();
    });
  });
}

/**
 * Registers the {@link FriendCache} conformance suite with vitest: hits and misses, exact round
 * trips, the invalidation and its race guard, TTL expiry and bad input. `makeCache` returns a fresh,
 * empty cache before every test, with an `expire` hook that ages it.
 * @example
 * describeFriendCache('memory', async () => {
 *   const clock = new FakeClock();
 *   return { cache: new MemoryFriendCache({ clock }), expire: async (ms) => void clock.advance(ms) };
 * });
 */
export function describeFriendCache(name: string, makeCache: FriendCacheFactory): void {
  describe(`FriendCache conformance: ${name}`, () => {
    let current: FriendCacheHandle | undefined;
    beforeEach(async () => {
      current = await makeCache();
    });
    afterEach(async () => {
      const opened = current;
      current = undefined;
      if (opened === undefined) return;
      await (opened.cleanup ?? (async () => opened.cache.close?.()))();
    });
    const ctx: CacheContext = {
      handle: () => {
        if (current === undefined) throw new Error('the cache is only available inside a test');
        return current;
      },
    };
    lookupTests(ctx);
    invalidationTests(ctx);
    ttlTests(ctx);
    badInputTests(ctx);
  });
}
