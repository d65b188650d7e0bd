import { describe, expect, it } from 'vitest';
import {
  CachingFriendGraph,
  ConfigError,
  type FriendCache,
  type FriendGraph,
  type FriendGraphSeed,
  InvalidInputError,
  MemoryFriendCache,
  MemoryFriendGraph,
  StoreUnavailableError,
  withFriendCache,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

const user = (userId: string) => ({
  userId,
  firstName: `F ${userId}`,
  lastName: 'L',
  profileImageExtension: null,
});
const SHARING = {
  shareMode: 'default_all',
  domainAllowList: [],
  domainDenyList: ['x.com'],
} as const;

const FRIENDS: FriendGraphSeed = {
  users: [{ ...user('alice'), sharing: SHARING }, user('bob'), user('carol')],
  friendships: [
    { from: 'alice', to: 'bob', accepted: true },
    { from: 'carol', to: 'alice', accepted: true },
  ],
};
/** The same users after alice unfriended bob. */
const UNFRIENDED: FriendGraphSeed = {
  users: FRIENDS.users,
  friendships: [{ from: 'carol', to: 'alice', accepted: true }],
};

type Method = keyof Omit<FriendGraph, 'close' | 'invalidate'>;

/**
 * A graph the test can change (as the user service's tables change) and whose reads it counts;
 * `hold()` makes the next reads wait until the returned function is called.
 */
function changingGraph(seed: FriendGraphSeed) {
  let current = new MemoryFriendGraph(seed);
  const reads: Method[] = [];
  let gate: Promise<void> | undefined;
  const read =
    <A extends unknown[], R>(
      method: Method,
      run: (g: MemoryFriendGraph, ...args: A) => Promise<R>,
    ) =>
    async (...args: A): Promise<R> => {
      reads.push(method);
      const graph = current;
      await gate;
      return run(graph, ...args);
    };
  const graph: FriendGraph = {
    friendsOf: read('friendsOf', (g, id: string) => g.friendsOf(id)),
    friendsOfMany: read('friendsOfMany', (g, ids: readonly string[]) => g.friendsOfMany(ids)),
    areFriends: read('areFriends', (g, a: string, b: string) => g.areFriends(a, b)),
    profilesOf: read('profilesOf', (g, ids: readonly string[]) => g.profilesOf(ids)),
    sharingSettingsOf: read('sharingSettingsOf', (g, id: string) => g.sharingSettingsOf(id)),
    friendsAndSettingsOf: read('friendsAndSettingsOf', (g, id: string) =>
      g.friendsAndSettingsOf(id),
    ),
    friendsWithProfilesOf: read('friendsWithProfilesOf', (g, id: string) =>
      g.friendsWithProfilesOf(id),
    ),
  };
  return {
    graph,
    reads,
    change: (next: FriendGraphSeed) => {
      current = new MemoryFriendGraph(next);
    },
    hold: () => {
      let release!: () => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

function setup(seed = FRIENDS, ttlSeconds = 60) {
  const clock = new FakeClock();
  const source = changingGraph(seed);
  const cache = new MemoryFriendCache({ clock });
  const graph = withFriendCache(source.graph, { cache, ttlSeconds });
  return { clock, source, cache, graph };
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('withFriendCache', () => {
  it('is off at ttlSeconds 0: the graph itself comes back', () => {
    const { graph } = changingGraph(FRIENDS);
    expect(withFriendCache(graph, { cache: new MemoryFriendCache(), ttlSeconds: 0 })).toBe(graph);
  });

  it.each([-1, 1.5, Number.NaN])('refuses ttlSeconds %s with ConfigError', (ttlSeconds) => {
    const { graph } = changingGraph(FRIENDS);
    expect(() => withFriendCache(graph, { cache: new MemoryFriendCache(), ttlSeconds })).toThrow(
      ConfigError,
    );
  });
});

describe('CachingFriendGraph', () => {
  it('reads the graph once, then answers update-presence’s read from the cache', async () => {
    const { source, graph } = setup();
    const first = await graph.friendsAndSettingsOf('alice');
    const second = await graph.friendsAndSettingsOf('alice');
    expect(sorted(first.friends)).toEqual(['bob', 'carol']);
    expect(second).toEqual(first);
    expect(second.settings).toEqual(SHARING);
    expect(source.reads).toEqual(['friendsAndSettingsOf']);
  });

  it('answers friendsOf, sharingSettingsOf and areFriends from a cached entry, either side', async () => {
    const { source, graph } = setup();
    await graph.friendsAndSettingsOf('alice');
    source.reads.length = 0;
    expect(sorted(await graph.friendsOf('alice'))).toEqual(['bob', 'carol']);
    expect(await graph.sharingSettingsOf('alice')).toEqual(SHARING);
    expect(await graph.areFriends('alice', 'bob')).toBe(true);
    expect(await graph.areFriends('bob', 'alice')).toBe(true);
    expect(await graph.areFriends('carol', 'alice')).toBe(true);
    expect(await graph.areFriends('alice', 'dave')).toBe(false);
    expect(source.reads).toEqual([]);
    // Nobody cached: the graph answers.
    expect(await graph.areFriends('bob', 'carol')).toBe(false);
    expect(source.reads).toEqual(['areFriends']);
  });

  it('friendsOfMany reads only the misses, in one query, and answers every id', async () => {
    const { source, graph } = setup();
    await graph.friendsAndSettingsOf('alice');
    source.reads.length = 0;
    const many = await graph.friendsOfMany(['alice', 'bob', 'nobody', 'bob']);
    expect(sorted([...many.keys()])).toEqual(['alice', 'bob', 'nobody']);
    expect(sorted(many.get('alice') ?? [])).toEqual(['bob', 'carol']);
    expect(many.get('bob')).toEqual(['alice']);
    expect(many.get('nobody')).toEqual([]);
    expect(source.reads).toEqual(['friendsOfMany']);
  });

  it('never caches profiles', async () => {
    const { source, graph } = setup();
    await graph.friendsWithProfilesOf('alice');
    await graph.friendsWithProfilesOf('alice');
    await graph.profilesOf(['bob']);
    expect(source.reads).toEqual(['friendsWithProfilesOf', 'friendsWithProfilesOf', 'profilesOf']);
  });

  it('concurrent reads of one user share one graph query on a miss', async () => {
    const { source, graph } = setup();
    const [friends, settings, both] = await Promise.all([
      graph.friendsOf('alice'),
      graph.sharingSettingsOf('alice'),
      graph.friendsAndSettingsOf('alice'),
    ]);
    expect(sorted(friends)).toEqual(['bob', 'carol']);
    expect(settings).toEqual(SHARING);
    expect(sorted(both.friends)).toEqual(['bob', 'carol']);
    expect(source.reads).toEqual(['friendsAndSettingsOf']);
  });

  it('a read that starts after an invalidation does not join one from before it', async () => {
    const { source, graph } = setup();
    const release = source.hold();
    const before = graph.friendsAndSettingsOf('alice');
    await new Promise((resolve) => setImmediate(resolve));
    await graph.invalidate?.(['alice', 'bob']);
    source.change(UNFRIENDED);
    const after = graph.friendsAndSettingsOf('alice');
    release();
    expect((await before).friends).toContain('bob');
    expect((await after).friends).toEqual(['carol']);
    expect(source.reads).toEqual(['friendsAndSettingsOf', 'friendsAndSettingsOf']);
  });

  it('without an invalidation, serves an unfriended user until the TTL', async () => {
    const { clock, source, graph } = setup(FRIENDS, 60);
    await graph.friendsAndSettingsOf('alice');
    source.change(UNFRIENDED);
    clock.advance(59_999);
    expect((await graph.friendsAndSettingsOf('alice')).friends).toContain('bob');
    clock.advance(1);
    expect((await graph.friendsAndSettingsOf('alice')).friends).toEqual(['carol']);
  });

  it('after invalidate of both users, the next reads are fresh', async () => {
    const { source, graph } = setup();
    await graph.friendsAndSettingsOf('alice');
    await graph.friendsAndSettingsOf('bob');
    source.change(UNFRIENDED);
    await graph.invalidate?.(['alice', 'bob']);
    expect((await graph.friendsAndSettingsOf('alice')).friends).toEqual(['carol']);
    expect(await graph.areFriends('bob', 'alice')).toBe(false);
    expect(source.reads.filter((m) => m === 'friendsAndSettingsOf')).toHaveLength(3);
  });

  it('a read in flight during an invalidation does not put its stale answer back', async () => {
    const { source, graph } = setup();
    const release = source.hold();
    const inFlight = graph.friendsAndSettingsOf('alice');
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.reads).toEqual(['friendsAndSettingsOf']);
    await graph.invalidate?.(['alice', 'bob']);
    release();
    // That caller got the graph's answer from before the change; nobody else will.
    expect((await inFlight).friends).toContain('bob');
    source.change(UNFRIENDED);
    expect((await graph.friendsAndSettingsOf('alice')).friends).toEqual(['carol']);
    expect(source.reads).toEqual(['friendsAndSettingsOf', 'friendsAndSettingsOf']);
  });

  it('falls back to the graph when the cache is unreachable, with a warn of codes only', async () => {
    const { graph: inner, reads } = changingGraph(FRIENDS);
    const down = new StoreUnavailableError('Redis friend cache getMany failed: ECONNREFUSED');
    const broken: FriendCache = {
      getMany: async () => {
        throw down;
      },
      set: async () => {
        throw down;
      },
      invalidate: async () => {
        throw down;
      },
    };
    const warnings: Record<string, unknown>[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (f: Record<string, unknown>) => warnings.push(f),
      error() {},
    };
    const graph = new CachingFriendGraph(inner, { cache: broken, ttlSeconds: 60, logger });
    expect(sorted(await graph.friendsOf('alice'))).toEqual(['bob', 'carol']);
    expect(await graph.areFriends('alice', 'bob')).toBe(true);
    expect(reads).toEqual(['friendsAndSettingsOf', 'areFriends']);
    expect(warnings).toEqual([
      { op: 'friend-cache', operation: 'getMany', code: 'store_unavailable' },
      { op: 'friend-cache', operation: 'getMany', code: 'store_unavailable' },
    ]);
    // An invalidation that did not happen must be retried by the caller.
    await expect(graph.invalidate(['alice', 'bob'])).rejects.toBe(down);
  });

  it('a cache that reads but cannot write still answers (and warns)', async () => {
    const { graph: inner } = changingGraph(FRIENDS);
    const memory = new MemoryFriendCache();
    const readOnly: FriendCache = {
      getMany: (ids) => memory.getMany(ids),
      set: async () => {
        throw new StoreUnavailableError('Redis friend cache set failed: READONLY');
      },
      invalidate: (ids) => memory.invalidate(ids),
    };
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (f: unknown) => warnings.push(f), error() {} };
    const graph = new CachingFriendGraph(inner, { cache: readOnly, ttlSeconds: 60, logger });
    expect(sorted(await graph.friendsOf('alice'))).toEqual(['bob', 'carol']);
    expect(warnings).toEqual([{ op: 'friend-cache', operation: 'set', code: 'store_unavailable' }]);
  });

  it('fills on a miss whatever the version looks like, an empty one included', async () => {
    const { graph: inner, reads } = changingGraph(FRIENDS);
    const memory = new MemoryFriendCache();
    const emptyVersions: FriendCache = {
      getMany: async (ids) => {
        const found = await memory.getMany(ids);
        for (const [id, lookup] of found)
          if (!lookup.hit) found.set(id, { hit: false, version: '' });
        return found;
      },
      // Maps the empty version back to the memory cache's own (never invalidated here: '0').
      set: async (id, entry, version, ttl) => version === '' && memory.set(id, entry, '0', ttl),
      invalidate: (ids) => memory.invalidate(ids),
    };
    const graph = new CachingFriendGraph(inner, { cache: emptyVersions, ttlSeconds: 60 });
    await graph.friendsOf('alice');
    await graph.friendsOf('alice');
    expect(reads).toEqual(['friendsAndSettingsOf']);
  });

  it('bad ids fail with InvalidInputError, not a fallback', async () => {
    const { source, graph } = setup();
    await expect(graph.friendsAndSettingsOf('')).rejects.toSatisfy(InvalidInputError.isInstance);
    await expect(graph.friendsOfMany('alice' as unknown as string[])).rejects.toSatisfy(
      InvalidInputError.isInstance,
    );
    expect(source.reads).toEqual([]);
  });

  it('close() closes the graph and the cache', async () => {
    const closed: string[] = [];
    const { graph: inner } = changingGraph(FRIENDS);
    const cache = new MemoryFriendCache();
    const graph = new CachingFriendGraph(
      { ...inner, close: async () => void closed.push('graph') },
      {
        cache: {
          ...cache,
          getMany: (i) => cache.getMany(i),
          set: (...a) => cache.set(...a),
          invalidate: (i) => cache.invalidate(i),
          close: async () => void closed.push('cache'),
        },
        ttlSeconds: 60,
      },
    );
    await graph.close();
    expect(closed.sort()).toEqual(['cache', 'graph']);
  });
});
