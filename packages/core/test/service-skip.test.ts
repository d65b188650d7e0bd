import { beforeEach, describe, expect, it } from 'vitest';
import {
  type FriendGraph,
  MemoryFriendCache,
  type PresenceStore,
  withFriendCache,
} from '../src/index.js';
import { conn, override, page, TIMEOUT, type World, world } from './support/service-world.js';

// The skip rule (DESIGN.md invariant 8): an update whose frame every recipient already holds is
// not sent. The fake clock moves by seconds here, far from a frameRefreshMs window's end for these
// users (the refresh has its own test).

/** Names of the store and graph methods a world's service calls, in order. */
function counted(w: World): { calls: string[]; world: World } {
  const calls: string[] = [];
  const spy = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${prefix}.${String(prop)}`);
          return value.apply(t, args);
        };
      },
    });
  const store = spy<PresenceStore>(w.store, 'store');
  const graph = spy<FriendGraph>(w.graph, 'graph');
  return { calls, world: world({ store, graph, clock: w.clock }) };
}

const sentTo = (w: World, id: string) => w.notifier.framesFor(id).length;

describe('the skip rule: no frame when nothing changed', () => {
  let w: World;
  beforeEach(async () => {
    w = world();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('bob', 'b1'));
    await w.service.connect(conn('carol', 'c1'));
  });

  it('page unchanged (tab switch back, window focus): skipped, liveness still refreshed', async () => {
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x', 'X'));
    w.notifier.clear();
    w.clock.advance(1_000);

    const again = await w.service.updatePresence(
      conn('alice', 'a1'),
      page('https://github.com/x', 'X'),
    );

    expect(again).toMatchObject({ unchanged: true, recipients: 0, gone: 0 });
    expect(again.frame).toMatchObject({
      url: 'https://github.com/x',
      latestUrl: 'https://github.com/x',
    });
    expect(w.notifier.sent).toEqual([]);
    // The repeat counted as activity: a sweep one timeout after the first update keeps alice.
    w.clock.advance(TIMEOUT - 500);
    await w.service.heartbeat(conn('bob', 'b1'));
    await w.service.heartbeat(conn('carol', 'c1'));
    expect((await w.service.sweep()).expired).toBe(0);
  });

  it('a hidden page repeated is skipped too, and so is the client hiding a page the rule hid', async () => {
    await w.service.updatePresence(conn('bob', 'b1'), page('https://denied.example/', 'D'));
    w.notifier.clear();
    // bob shares only x.github.io: the page above was stored hidden, like an empty url.
    expect((await w.service.updatePresence(conn('bob', 'b1'), page('', ''))).unchanged).toBe(true);
    expect(w.notifier.sent).toEqual([]);
  });

  it('work per operation: unchanged update, changed update, GET /presence', async () => {
    const c = counted(w);
    await c.world.service.connect(conn('bob', 'b1'));
    await c.world.service.connect(conn('carol', 'c1'));
    await c.world.service.connect(conn('alice', 'a1'));
    c.calls.length = 0;
    c.world.notifier.clear();

    await c.world.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    expect(c.calls).toEqual(['graph.friendsAndSettingsOf', 'store.setPage', 'store.connectionsOf']);
    expect(c.world.notifier.sent.map((s) => s.connectionId).sort()).toEqual(['a1', 'b1', 'c1']);
    c.calls.length = 0;
    c.world.notifier.clear();

    await c.world.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    expect(c.calls).toEqual(['graph.friendsAndSettingsOf', 'store.setPage']);
    expect(c.world.notifier.sent).toEqual([]);
    c.calls.length = 0;

    await c.world.service.getPresence('bob');
    expect(c.calls).toEqual(['graph.friendsWithProfilesOf', 'store.presenceWithLastSeenOf']);
  });

  it('with the friend cache warm, an unchanged update reads the graph 0 times', async () => {
    let queries = 0;
    const graph = override<FriendGraph>(w.graph, {
      friendsAndSettingsOf: async (id: string) => {
        queries += 1;
        return w.graph.friendsAndSettingsOf(id);
      },
    });
    const cached = withFriendCache(graph, {
      cache: new MemoryFriendCache({ clock: w.clock }),
      ttlSeconds: 300,
    });
    const v = world({ graph: cached, clock: w.clock });
    await v.service.connect(conn('alice', 'a1'));
    await v.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    expect(queries).toBe(1);

    const again = await v.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));

    expect(again.unchanged).toBe(true);
    expect(queries).toBe(1);
  });

  it('a new connection of the user: the next update is sent to every recipient', async () => {
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    w.notifier.clear();
    await w.service.connect(conn('alice', 'a2'));

    const result = await w.service.updatePresence(
      conn('alice', 'a2'),
      page('https://github.com/x'),
    );

    expect(result).toMatchObject({ unchanged: false, recipients: 4 });
    for (const id of ['a1', 'a2', 'b1', 'c1']) expect(sentTo(w, id)).toBe(1);
  });

  it('a connection re-registered by its heartbeat (the store had lost it) gets the next update', async () => {
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    await w.store.removeConnection('b1');
    await w.service.heartbeat(conn('alice', 'a9'));
    w.notifier.clear();

    const result = await w.service.updatePresence(
      conn('alice', 'a1'),
      page('https://github.com/x'),
    );

    expect(result.unchanged).toBe(false);
    expect(sentTo(w, 'a9')).toBe(1);
  });

  it('the user came back from offline: sent', async () => {
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    await w.service.disconnect('a1');
    w.notifier.clear();
    await w.service.connect(conn('alice', 'a3'));

    const result = await w.service.updatePresence(
      conn('alice', 'a3'),
      page('https://github.com/x'),
    );

    expect(result.unchanged).toBe(false);
    expect(w.notifier.framesFor('b1')).toEqual([result.frame]);
  });

  it('settings changed so that the page becomes hidden: sent, hidden', async () => {
    // carol shares everything but facebook.com.
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/a', 'A'));
    w.graph.setSharing('carol', {
      shareMode: 'default_all',
      domainAllowList: [],
      domainDenyList: ['facebook.com', 'clinic.example'],
    });
    w.notifier.clear();

    const result = await w.service.updatePresence(
      conn('carol', 'c1'),
      page('https://clinic.example/a', 'A'),
    );

    expect(result.unchanged).toBe(false);
    expect(w.notifier.framesFor('a1')).toEqual([
      {
        type: 'update-presence',
        userId: 'carol',
        url: '',
        title: '',
        domain: '',
        latestUrl: '',
        latestTitle: '',
        latestDomain: '',
      },
    ]);
  });

  it('the latest page changes visibility under new settings: sent, its fields emptied', async () => {
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/a', 'A'));
    await w.service.updatePresence(conn('carol', 'c1'), page('', ''));
    w.notifier.clear();
    expect((await w.service.updatePresence(conn('carol', 'c1'), page('', ''))).unchanged).toBe(
      true,
    );
    w.graph.setSharing('carol', {
      shareMode: 'default_all',
      domainAllowList: [],
      domainDenyList: ['clinic.example'],
    });

    const result = await w.service.updatePresence(conn('carol', 'c1'), page('', ''));

    expect(result.unchanged).toBe(false);
    expect(w.notifier.framesFor('a1')).toEqual([
      expect.objectContaining({ url: '', latestUrl: '', latestTitle: '', latestDomain: '' }),
    ]);
  });

  it('a title change on the same url: sent', async () => {
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x', 'Old'));
    w.notifier.clear();

    const result = await w.service.updatePresence(
      conn('alice', 'a1'),
      page('https://github.com/x', 'New'),
    );

    expect(result.unchanged).toBe(false);
    expect(w.notifier.framesFor('b1')).toEqual([expect.objectContaining({ title: 'New' })]);
  });

  it('a new friend: the next update reaches them although the page is the same', async () => {
    await w.service.connect(conn('dave', 'd1'));
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    w.graph.setFriendship('alice', 'dave', true);
    w.notifier.clear();

    const result = await w.service.updatePresence(
      conn('alice', 'a1'),
      page('https://github.com/x'),
    );

    expect(result.unchanged).toBe(false);
    expect(sentTo(w, 'd1')).toBe(1);
  });

  it("a friend's new connection is not sent a skipped frame: it reads GET /presence, which shows the same", async () => {
    const first = await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
    await w.service.connect(conn('bob', 'b2'));
    w.notifier.clear();

    const again = await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));

    expect(again.unchanged).toBe(true);
    expect(w.notifier.framesFor('b2')).toEqual([]);
    const alice = (await w.service.getPresence('bob')).presenceArr.find(
      (p) => p.userId === 'alice',
    );
    expect(alice).toEqual({
      userId: 'alice',
      page: { url: first.frame.url, title: first.frame.title, domain: first.frame.domain },
      latestPage: {
        url: first.frame.latestUrl,
        title: first.frame.latestTitle,
        domain: first.frame.latestDomain,
      },
    });
  });

  it('sends a repeated frame again once per frameRefreshMs window, and every time when it is 0', async () => {
    let sends = 0;
    for (let minute = 0; minute <= 30; minute++) {
      const result = await w.service.updatePresence(
        conn('alice', 'a1'),
        page('https://github.com/x'),
      );
      if (!result.unchanged) sends += 1;
      await w.service.heartbeat(conn('bob', 'b1'));
      await w.service.heartbeat(conn('carol', 'c1'));
      w.clock.advance(60_000);
    }
    // 31 updates over exactly three 10-minute windows: the first, then one per window boundary.
    expect(sends).toBe(4);

    const always = world({ clock: w.clock }, { frameRefreshMs: 0 });
    await always.service.connect(conn('alice', 'a1'));
    for (let i = 0; i < 3; i++) {
      const result = await always.service.updatePresence(
        conn('alice', 'a1'),
        page('https://github.com/x'),
      );
      expect(result.unchanged).toBe(false);
    }
  });
});
