import { describe, expect, it } from 'vitest';
import {
  type FriendGraph,
  httpStatusOf,
  MemoryFriendCache,
  MemoryFriendGraph,
  withFriendCache,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { conn, page, seed, world } from './support/service-world.js';

/** A world whose service reads the seed graph through a 5-minute friend cache. */
function cachedWorld() {
  const clock = new FakeClock();
  const source = new MemoryFriendGraph(seed);
  const cache = new MemoryFriendCache({ clock });
  const graph = withFriendCache(source, { cache, ttlSeconds: 300 });
  return { ...world({ graph, clock }), source };
}

describe('friendshipChanged', () => {
  it('an unfriended user stops receiving frames after the invalidation call, and is told the other left', async () => {
    const w = cachedWorld();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('bob', 'b1'));
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/one'));
    w.source.setFriendship('alice', 'bob', false);
    w.notifier.clear();

    // Before the call the cache still says they are friends (the documented trade-off).
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/two'));
    expect(w.notifier.framesFor('b1')).toHaveLength(1);
    w.notifier.clear();

    await w.service.friendshipChanged('alice', 'bob');

    expect(w.notifier.framesFor('b1')).toEqual([
      { type: 'presence-timeout', userId: 'alice', lastSeenAt: null },
    ]);
    expect(w.notifier.framesFor('a1')).toEqual([
      { type: 'presence-timeout', userId: 'bob', lastSeenAt: null },
    ]);
    w.notifier.clear();
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/three'));
    expect(w.notifier.framesFor('b1')).toEqual([]);
    expect(httpStatusOf(await w.service.getUserPresence('bob', 'alice').catch((e) => e))).toBe(403);
    expect((await w.service.getPresence('bob')).presenceArr.map((p) => p.userId)).not.toContain(
      'alice',
    );
  });

  it('works without a cache too: the ex-friend is told at once', async () => {
    const w = world();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('carol', 'c1'));
    w.graph.setFriendship('alice', 'carol', false);

    await w.service.friendshipChanged('carol', 'alice');

    expect(w.notifier.framesFor('a1')).toEqual([
      { type: 'presence-timeout', userId: 'carol', lastSeenAt: null },
    ]);
  });

  it('new friends are sent nothing by the call; the next update reaches them', async () => {
    const w = cachedWorld();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('dave', 'd1'));
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    w.source.setFriendship('alice', 'dave', true);
    w.notifier.clear();

    await w.service.friendshipChanged('alice', 'dave');
    expect(w.notifier.sent).toEqual([]);

    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    expect(w.notifier.framesFor('d1')).toHaveLength(1);
  });

  it('rejects bad ids and a user paired with themself, invalidating nothing', async () => {
    const invalidated: string[][] = [];
    const base = new MemoryFriendGraph(seed);
    const graph: FriendGraph = Object.assign(Object.create(base), {
      invalidate: async (ids: readonly string[]) => {
        invalidated.push([...ids]);
      },
    });
    const w = world({ graph });
    for (const [a, b] of [
      ['alice', 'alice'],
      ['', 'bob'],
      ['alice', 'a b'],
    ] as const) {
      expect(httpStatusOf(await w.service.friendshipChanged(a, b).catch((e) => e))).toBe(400);
    }
    expect(httpStatusOf(await w.service.sharingSettingsChanged('x/y').catch((e) => e))).toBe(400);
    expect(invalidated).toEqual([]);
  });
});

describe('sharingSettingsChanged', () => {
  it('sends an online user’s frame again under the new rule: a page no longer shared leaves friends’ views', async () => {
    const w = cachedWorld();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('carol', 'c1'));
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/a', 'A'));
    w.source.setSharing('carol', {
      shareMode: 'default_all',
      domainAllowList: [],
      domainDenyList: ['clinic.example'],
    });
    w.notifier.clear();

    await w.service.sharingSettingsChanged('carol');

    const hidden = {
      type: 'update-presence',
      userId: 'carol',
      url: '',
      title: '',
      domain: '',
      latestUrl: '',
      latestTitle: '',
      latestDomain: '',
    };
    expect(w.notifier.framesFor('a1')).toEqual([hidden]);
    expect(w.notifier.framesFor('c1')).toEqual([hidden]);
    // The cache was dropped: the next update reads the new settings.
    w.notifier.clear();
    const next = await w.service.updatePresence(
      conn('carol', 'c1'),
      page('https://clinic.example/b', 'B'),
    );
    expect(next.shared).toBe(false);
  });

  it('an offline user: nothing to send', async () => {
    const w = cachedWorld();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.sharingSettingsChanged('carol');
    expect(w.notifier.sent).toEqual([]);
  });
});
