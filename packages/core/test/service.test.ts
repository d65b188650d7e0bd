import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  type FriendGraph,
  GraphUnavailableError,
  getPresenceResponseSchema,
  httpStatusOf,
  MemoryFriendGraph,
  MemoryPresenceStore,
  PresenceService,
  type PresenceStore,
  type ServerFrame,
  StoreUnavailableError,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import {
  askingService,
  conn,
  override,
  page,
  SEEN_AT_START,
  seed,
  snapshot,
  TIMEOUT,
  timeoutOf,
  types,
  type World,
  world,
} from './support/service-world.js';

describe('PresenceService', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  describe('connect', () => {
    it('puts the user online with a hidden page and no latest page', async () => {
      // Prepare / Act
      await w.service.connect(conn('bob', 'b1'));
      // Assess
      const { presenceArr } = await w.service.getPresence('alice');
      expect(presenceArr.find((p) => p.userId === 'bob')).toEqual({
        userId: 'bob',
        page: { url: '', title: '', domain: '' },
        latestPage: { url: '', title: '', domain: '' },
      });
      expect(w.notifier.sent).toEqual([]);
    });
  });

  describe('update presence', () => {
    it('sends the exact frame to online friends and all own connections, never to strangers or pending', async () => {
      for (const [u, c] of [
        ['alice', 'a1'],
        ['alice', 'a2'],
        ['bob', 'b1'],
        ['carol', 'c1'],
        ['dave', 'd1'],
        ['erin', 'e1'],
      ] as const) {
        await w.service.connect(conn(u, c));
      }

      const result = await w.service.updatePresence(
        conn('alice', 'a1'),
        page('https://foo.github.io/repo?q=1', 'Repo'),
      );

      const expected = {
        type: 'update-presence',
        userId: 'alice',
        url: 'https://foo.github.io/repo?q=1',
        title: 'Repo',
        domain: 'foo.github.io',
        latestUrl: 'https://foo.github.io/repo?q=1',
        latestTitle: 'Repo',
        latestDomain: 'foo.github.io',
      };
      for (const id of ['a1', 'a2', 'b1', 'c1'])
        expect(w.notifier.framesFor(id)).toEqual([expected]);
      expect(w.notifier.framesFor('d1')).toEqual([]);
      expect(w.notifier.framesFor('e1')).toEqual([]);
      expect(result).toMatchObject({ shared: true, recipients: 4, gone: 0 });
    });

    it('hides an empty url and keeps the latest shared page', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('carol', 'c1'));
      await w.service.updatePresence(
        conn('alice', 'a1'),
        page('https://www.bbc.co.uk/news', 'News'),
      );
      w.notifier.clear();

      await w.service.updatePresence(conn('alice', 'a1'), page('', ''));

      expect(w.notifier.framesFor('c1')).toEqual([
        {
          type: 'update-presence',
          userId: 'alice',
          url: '',
          title: '',
          domain: '',
          latestUrl: 'https://www.bbc.co.uk/news',
          latestTitle: 'News',
          latestDomain: 'bbc.co.uk',
        },
      ]);
      const { userPresence } = await w.service.getPresence('alice');
      expect(userPresence.page).toEqual({ url: '', title: '', domain: '' });
      expect(userPresence.latestPage).toEqual({
        url: 'https://www.bbc.co.uk/news',
        title: 'News',
        domain: 'bbc.co.uk',
      });
    });

    it('treats non-http(s) and unparseable urls as hidden, title dropped', async () => {
      await w.service.connect(conn('alice', 'a1'));
      for (const url of [
        'chrome://extensions',
        'file:///etc/passwd',
        'not a url',
        'javascript:alert(1)',
      ]) {
        const { frame, shared } = await w.service.updatePresence(
          conn('alice', 'a1'),
          page(url, 'secret'),
        );
        expect(shared).toBe(false);
        expect(frame).toMatchObject({ url: '', title: '', domain: '', latestUrl: '' });
      }
    });

    it('sends "" latest fields until something was shared, and an IP page has domain ""', async () => {
      await w.service.connect(conn('alice', 'a1'));
      const { frame } = await w.service.updatePresence(
        conn('alice', 'a1'),
        page('http://127.0.0.1:8080/x'),
      );
      expect(frame).toMatchObject({ url: 'http://127.0.0.1:8080/x', domain: '', latestDomain: '' });
      expect(frame.latestUrl).toBe('http://127.0.0.1:8080/x');
    });

    it('applies default_none sharing: only allowed domains are shared', async () => {
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('alice', 'a1'));

      const allowed = await w.service.updatePresence(
        conn('bob', 'b1'),
        page('https://x.github.io/'),
      );
      const denied = await w.service.updatePresence(
        conn('bob', 'b1'),
        page('https://example.com/', 'Ex'),
      );

      expect(allowed.shared).toBe(true);
      expect(denied.shared).toBe(false);
      expect(denied.frame).toMatchObject({
        url: '',
        title: '',
        domain: '',
        latestUrl: 'https://x.github.io/',
        latestDomain: 'x.github.io',
      });
      expect(await w.service.getUserPresence('alice', 'bob')).toEqual({ url: '', title: '' });
    });

    it('applies default_all sharing: denied domains are hidden', async () => {
      await w.service.connect(conn('carol', 'c1'));
      const denied = await w.service.updatePresence(
        conn('carol', 'c1'),
        page('https://m.facebook.com/me'),
      );
      const other = await w.service.updatePresence(
        conn('carol', 'c1'),
        page('https://example.org/'),
      );
      expect(denied.frame.url).toBe('');
      expect(other.frame).toMatchObject({ url: 'https://example.org/', domain: 'example.org' });
    });

    it('removes gone connections and takes their user offline if it was the last', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('carol', 'c1'));
      w.notifier.markGone('b1');

      const result = await w.service.updatePresence(
        conn('carol', 'c1'),
        page('https://example.org/'),
      );

      expect(result.gone).toBe(0);
      const second = await w.service.updatePresence(
        conn('alice', 'a1'),
        page('https://example.org/'),
      );
      expect(second.gone).toBe(1);
      expect(await w.store.userOfConnection('b1')).toBeUndefined();
      expect(await w.service.getUserPresence('bob', 'bob')).toBeNull();
      // bob went offline: his online friend alice is told once.
      expect(types(w.notifier.framesFor('a1'))).toContain('presence-timeout:bob');
    });

    it('re-registers the connection when the store lost it', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.store.removeConnection('a1');
      await w.service.updatePresence(conn('alice', 'a1'), page('https://example.org/'));
      expect(await w.store.userOfConnection('a1')).toBe('alice');
    });
  });

  describe('heartbeat', () => {
    it('keeps a connection past the timeout of its connect', async () => {
      await w.service.connect(conn('alice', 'a1'));
      w.clock.advance(TIMEOUT);
      await w.service.heartbeat(conn('alice', 'a1'));
      w.clock.advance(TIMEOUT);
      const report = await w.service.sweep();
      expect(report.expired).toBe(0);
      expect(await w.store.userOfConnection('a1')).toBe('alice');
    });

    it('brings a user back online after the store lost the connection (the earlier deployment could not)', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.store.removeConnection('a1');
      await w.service.heartbeat(conn('alice', 'a1'));
      expect((await w.service.getPresence('bob')).presenceArr[0]?.page).toEqual({
        url: '',
        title: '',
        domain: '',
      });
    });
  });

  describe('disconnect', () => {
    it('is silent when one of several tabs closes', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('alice', 'a2'));
      await w.service.connect(conn('bob', 'b1'));

      const result = await w.service.disconnect('a1');

      expect(result).toEqual({
        userId: 'alice',
        userOffline: false,
        notified: 0,
        deferred: false,
        activityFailures: 0,
      });
      expect(w.notifier.sent).toEqual([]);
      expect((await w.service.getPresence('bob')).presenceArr[0]?.page).not.toBeNull();
    });

    it('sends exactly one presence-timeout per online friend connection when the last closes', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('bob', 'b2'));
      await w.service.connect(conn('carol', 'c1'));
      await w.service.connect(conn('dave', 'd1'));

      const result = await w.service.disconnect('a1');

      expect(result).toEqual({
        userId: 'alice',
        userOffline: true,
        notified: 3,
        deferred: false,
        activityFailures: 0,
      });
      for (const id of ['b1', 'b2', 'c1']) {
        expect(w.notifier.framesFor(id)).toEqual([timeoutOf('alice')]);
      }
      expect(w.notifier.framesFor('d1')).toEqual([]);
      const bobView = await w.service.getPresence('bob');
      expect(bobView.presenceArr).toEqual([
        { userId: 'alice', page: null, latestPage: null, lastSeenAt: SEEN_AT_START },
      ]);
    });

    it('is idempotent: an unknown or repeated disconnect changes nothing', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      await w.service.disconnect('a1');
      w.notifier.clear();

      expect(await w.service.disconnect('a1')).toEqual({
        userId: undefined,
        userOffline: false,
        notified: 0,
        deferred: false,
        activityFailures: 0,
      });
      expect(await w.service.disconnect('never-seen')).toMatchObject({ userId: undefined });
      expect(w.notifier.sent).toEqual([]);
    });

    it('drops the latest page when the user goes offline', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.updatePresence(conn('alice', 'a1'), page('https://example.org/'));
      await w.service.disconnect('a1');
      await w.service.connect(conn('alice', 'a2'));
      const { userPresence } = await w.service.getPresence('alice');
      expect(userPresence.latestPage).toEqual({ url: '', title: '', domain: '' });
    });
  });

  describe('sweep', () => {
    it('removes connections silent longer than the timeout, keeps the boundary, tells friends, closes sockets', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('carol', 'c-stale'));
      w.clock.advance(1);
      await w.service.connect(conn('bob', 'b1'));
      w.clock.advance(TIMEOUT);
      // Now alice and carol's first connection are TIMEOUT + 1 ms silent; bob exactly TIMEOUT.
      await w.service.heartbeat(conn('bob', 'b1'));

      const report = await w.service.sweep();

      expect(report).toMatchObject({ expired: 2, offline: 2, closed: 2, done: true });
      expect(w.notifier.closed.sort()).toEqual(['a1', 'c-stale']);
      expect(w.notifier.framesFor('b1')).toEqual([timeoutOf('alice')]);
      expect(await w.store.userOfConnection('b1')).toBe('bob');
    });

    it('does not announce to friends who are stale too, in the same batch or a later one', async () => {
      // Batches of one: whichever of alice and carol goes first, the other is still in the store.
      w = world({ batch: 1 });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('carol', 'c1'));
      w.clock.advance(1);
      await w.service.connect(conn('bob', 'b1'));
      w.clock.advance(TIMEOUT);
      // alice and carol (friends of each other) are TIMEOUT + 1 ms silent; bob exactly TIMEOUT.

      const report = await w.service.sweep();

      expect(report).toMatchObject({ expired: 2, offline: 2, notified: 1, closed: 2, done: true });
      expect(w.notifier.framesFor('b1')).toEqual([timeoutOf('alice')]);
      expect(w.notifier.framesFor('a1')).toEqual([]);
      expect(w.notifier.framesFor('c1')).toEqual([]);
      expect(w.notifier.closed.sort()).toEqual(['a1', 'c1']);
    });

    it('removes first, then reads no friend it took offline itself', async () => {
      const steps: string[] = [];
      const spy: PresenceStore = override<PresenceStore>(w.store, {
        // Without liveUsers the sweep reads friends of the users it took offline.
        liveUsers: undefined,
        sweep: async (cutoff: number, limit: number) => {
          steps.push('store-sweep');
          return w.store.sweep(cutoff, limit);
        },
        connectionsOf: async (ids: readonly string[], seenSince?: number) => {
          steps.push(`read ${[...ids].sort().join(',')}`);
          return w.store.connectionsOf(ids, seenSince);
        },
      });
      const notifier = override(w.notifier, {
        send: async (ids: readonly string[], frame: ServerFrame) => {
          steps.push(`send ${frame.type}`);
          return w.notifier.send(ids, frame);
        },
        close: async (ids: readonly string[]) => {
          steps.push(`close ${[...ids].sort().join(',')}`);
          return w.notifier.close(ids);
        },
      });
      const service = new PresenceService({
        store: spy,
        graph: w.graph,
        notifier,
        clock: w.clock,
        timeoutMs: TIMEOUT,
        sweepBatchSize: 1,
      });
      await service.connect(conn('alice', 'a1'));
      await service.connect(conn('carol', 'c1'));
      w.clock.advance(1);
      await service.connect(conn('bob', 'b1'));
      w.clock.advance(TIMEOUT);
      steps.length = 0;

      const report = await service.sweep();

      // alice's friends are bob, carol and ghost (no user row); carol's is alice: carol's friends are
      // not read, nor is carol (nobody to tell). alice is read with her friends: a user who came back
      // online is not announced. Announcing and closing run side by side, after every removal.
      expect(steps.slice(0, 2)).toEqual(['store-sweep', 'store-sweep']);
      expect([...steps.slice(2)].sort()).toEqual([
        'close a1',
        'close c1',
        'read alice,bob,ghost',
        'send presence-timeout',
      ]);
      expect(steps.indexOf('read alice,bob,ghost')).toBeLessThan(
        steps.indexOf('send presence-timeout'),
      );
      expect(report).toMatchObject({ expired: 2, offline: 2, notified: 1, closed: 2, batches: 2 });
      expect(w.notifier.framesFor('b1')).toEqual([timeoutOf('alice')]);
    });

    it('in a mass timeout reads the friends of the few live users instead, with the same frames', async () => {
      const { asked, service } = askingService(w);
      for (const [user, id] of [
        ['alice', 'a1'],
        ['carol', 'c1'],
        ['dave', 'd1'],
        ['erin', 'e1'],
      ] as const) {
        await service.connect(conn(user, id));
      }
      w.clock.advance(1);
      await service.connect(conn('bob', 'b1'));
      w.clock.advance(TIMEOUT);

      const report = await service.sweep();

      // Four offline, one live connection: only bob's friends are read.
      expect(asked).toEqual([['bob']]);
      expect(report).toMatchObject({ expired: 4, offline: 4, notified: 1, closed: 4, done: true });
      expect(w.notifier.framesFor('b1')).toEqual([timeoutOf('alice')]);
      for (const id of ['a1', 'c1', 'd1', 'e1']) expect(w.notifier.framesFor(id)).toEqual([]);
    });

    it('reads the friends of the offline users when live connections are not fewer than half of them', async () => {
      const { asked, service } = askingService(w);
      await service.connect(conn('alice', 'a1'));
      await service.connect(conn('dave', 'd1'));
      w.clock.advance(1);
      await service.connect(conn('bob', 'b1'));
      await service.connect(conn('carol', 'c1'));
      w.clock.advance(TIMEOUT);

      const report = await service.sweep();

      expect(asked).toEqual([['alice', 'dave']]);
      expect(report).toMatchObject({ offline: 2, notified: 2 });
      expect(w.notifier.framesFor('b1')).toEqual([timeoutOf('alice')]);
      expect(w.notifier.framesFor('c1')).toEqual([timeoutOf('alice')]);
    });

    it('announces every sweepAnnounceAfter users and goes on removing', async () => {
      const steps: string[] = [];
      const spy: PresenceStore = override<PresenceStore>(w.store, {
        sweep: async (cutoff: number, limit: number) => {
          const batch = await w.store.sweep(cutoff, limit);
          steps.push(`removed ${batch.offline.join(',')}`);
          return batch;
        },
      });
      const service = new PresenceService({
        store: spy,
        graph: w.graph,
        notifier: override(w.notifier, {
          send: async (ids: readonly string[], frame: ServerFrame) => {
            steps.push(`told ${'userId' in frame ? frame.userId : ''}`);
            return w.notifier.send(ids, frame);
          },
        }),
        clock: w.clock,
        timeoutMs: TIMEOUT,
        sweepBatchSize: 1,
        sweepAnnounceAfter: 1,
      });
      await service.connect(conn('alice', 'a1'));
      await service.connect(conn('dave', 'd1'));
      w.clock.advance(1);
      await service.connect(conn('bob', 'b1'));
      await service.connect(conn('carol', 'c1'));
      w.clock.advance(TIMEOUT);

      const report = await service.sweep();

      // One user per round: alice is announced (to bob and carol) before dave (no friends) is removed.
      expect(steps).toEqual(['removed alice', 'told alice', 'removed dave']);
      expect(report).toMatchObject({ expired: 2, offline: 2, notified: 2, done: true });
      expect(w.notifier.framesFor('c1')).toEqual([timeoutOf('alice')]);
    });

    it.each([0, -1, 1.5])('rejects sweepAnnounceAfter %s with ConfigError', (bad) => {
      expect(
        () =>
          new PresenceService({
            store: w.store,
            graph: w.graph,
            notifier: w.notifier,
            sweepAnnounceAfter: bad,
          }),
      ).toThrow(ConfigError);
    });

    it('keeps a silent connection exactly at the timeout and removes it one millisecond later', async () => {
      await w.service.connect(conn('alice', 'a1'));
      w.clock.advance(TIMEOUT);
      expect((await w.service.sweep()).expired).toBe(0);
      w.clock.advance(1);
      expect((await w.service.sweep()).expired).toBe(1);
    });

    it('keeps a user online while another of their connections is live', async () => {
      await w.service.connect(conn('alice', 'a-old'));
      await w.service.connect(conn('bob', 'b1'));
      w.clock.advance(TIMEOUT);
      await w.service.connect(conn('alice', 'a-new'));
      await w.service.heartbeat(conn('bob', 'b1'));
      w.clock.advance(1);

      const report = await w.service.sweep();

      expect(report).toMatchObject({ expired: 1, offline: 0, notified: 0 });
      expect(w.notifier.framesFor('b1')).toEqual([]);
    });

    it('never removes a connection whose heartbeat lands while the sweep runs', async () => {
      const inner = new MemoryPresenceStore({ clock: new FakeClock() });
      const racing: PresenceStore = override<PresenceStore>(inner, {
        sweep: async (cutoff: number, limit: number) => {
          await w.service.heartbeat(conn('alice', 'a1'));
          return inner.sweep(cutoff, limit);
        },
      });
      w = world({ store: racing });
      const clock = w.clock;
      await w.service.connect(conn('alice', 'a1'));
      clock.advance(TIMEOUT + 10);

      const report = await w.service.sweep();

      expect(report.expired).toBe(0);
      expect(await racing.userOfConnection('a1')).toBe('alice');
    });

    it('works in batches and stops at the deadline, leaving the rest for the next run', async () => {
      w = world({ batch: 2 });
      for (const id of ['d1', 'd2', 'd3', 'd4', 'd5']) await w.service.connect(conn('dave', id));
      w.clock.advance(TIMEOUT + 1);
      const base = w.clock.now();
      let batches = 0;
      const slow: PresenceStore = override<PresenceStore>(w.store, {
        sweep: async (cutoff: number, limit: number) => {
          batches += 1;
          w.clock.advance(1000);
          return w.store.sweep(cutoff, limit);
        },
      });
      const service = new PresenceService({
        store: slow,
        graph: w.graph,
        notifier: w.notifier,
        clock: w.clock,
        timeoutMs: TIMEOUT,
        sweepBatchSize: 2,
      });

      const first = await service.sweep({ deadline: base + 1500 });
      expect(first).toMatchObject({ batches: 2, expired: 4, done: false, offline: 0 });
      const second = await service.sweep();
      expect(second).toMatchObject({ expired: 1, offline: 1, done: true });
      expect(batches).toBe(3);
    });
  });

  describe('get presence', () => {
    it('returns the PROTOCOL.md shape: caller always an object, offline is page null, every id profiled', async () => {
      await w.service.connect(conn('bob', 'b1'));
      await w.service.updatePresence(conn('bob', 'b1'), page('https://x.github.io/a', 'A'));

      const body = await w.service.getPresence('alice');

      expect(getPresenceResponseSchema.strict().parse(body)).toEqual(body);
      // Offline users carry lastSeenAt: null when never seen (or past the retention).
      expect(body.userPresence).toEqual({
        userId: 'alice',
        page: null,
        latestPage: null,
        lastSeenAt: null,
      });
      expect(body.presenceArr).toHaveLength(3);
      const byId = Object.fromEntries(body.presenceArr.map((p) => [p.userId, p]));
      expect(byId.bob).toEqual({
        userId: 'bob',
        page: { url: 'https://x.github.io/a', title: 'A', domain: 'x.github.io' },
        latestPage: { url: 'https://x.github.io/a', title: 'A', domain: 'x.github.io' },
      });
      expect(byId.carol).toEqual({
        userId: 'carol',
        page: null,
        latestPage: null,
        lastSeenAt: null,
      });
      expect(byId.ghost).toEqual({
        userId: 'ghost',
        page: null,
        latestPage: null,
        lastSeenAt: null,
      });
      expect(Object.keys(body.userInfoMap).sort()).toEqual(['alice', 'bob', 'carol', 'ghost']);
      expect(body.userInfoMap.bob).toEqual({
        user_id: 'bob',
        first_name: 'Bob',
        last_name: 'B',
        profile_image_extension: null,
      });
      expect(body.userInfoMap.ghost).toEqual({
        user_id: 'ghost',
        first_name: '',
        last_name: '',
        profile_image_extension: null,
      });
    });
  });

  describe('get user presence', () => {
    it('answers self and accepted friends in either direction, null when offline', async () => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.updatePresence(conn('alice', 'a1'), page('https://example.org/p', 'P'));
      expect(await w.service.getUserPresence('alice', 'alice')).toEqual({
        url: 'https://example.org/p',
        title: 'P',
      });
      expect(await w.service.getUserPresence('carol', 'alice')).toEqual({
        url: 'https://example.org/p',
        title: 'P',
      });
      expect(await w.service.getUserPresence('alice', 'bob')).toBeNull();
    });

    it('forbids strangers and pending requests with the protocol message', async () => {
      await w.service.connect(conn('alice', 'a1'));
      for (const caller of ['dave', 'erin']) {
        const error = await w.service.getUserPresence(caller, 'alice').catch((e: unknown) => e);
        expect(httpStatusOf(error)).toBe(403);
        expect((error as Error).message).toBe('Forbidden access to user presence');
      }
    });
  });

  describe('bad input changes no state', () => {
    const bad: Array<[string, (w: World) => Promise<unknown>]> = [
      ['empty user id', (w) => w.service.connect(conn('', 'x1'))],
      ['user id with a space', (w) => w.service.heartbeat(conn('al ice', 'a1'))],
      ['129-char user id', (w) => w.service.connect(conn('u'.repeat(129), 'x1'))],
      ['connection id with a space', (w) => w.service.connect(conn('alice', 'a 1'))],
      [
        'url over 2048',
        (w) =>
          w.service.updatePresence(conn('alice', 'a1'), page(`https://e.org/${'x'.repeat(2048)}`)),
      ],
      [
        'title over 512',
        (w) =>
          w.service.updatePresence(conn('alice', 'a1'), page('https://e.org/', 't'.repeat(513))),
      ],
      [
        'non-string url',
        (w) => w.service.updatePresence(conn('alice', 'a1'), { url: 3, title: '' } as never),
      ],
      ['bad disconnect id', (w) => w.service.disconnect('')],
      ['bad target id', (w) => w.service.getUserPresence('alice', 'a/b')],
    ];
    it.each(bad)('%s → 400 and nothing changes', async (_name, act) => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.updatePresence(conn('alice', 'a1'), page('https://example.org/'));
      await w.service.connect(conn('bob', 'b1'));
      w.notifier.clear();
      const before = await snapshot(w);

      const error = await act(w).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(httpStatusOf(error)).toBe(400);
      expect(await snapshot(w)).toEqual(before);
      expect(w.notifier.sent).toEqual([]);
    });

    const frames: Array<[string, string, string]> = [
      ['not JSON', 'hello', 'invalid_frame'],
      ['unknown action', '{"action":"dance"}', 'invalid_frame'],
      ['no action', '{"url":"https://e.org"}', 'invalid_frame'],
      ['missing title', '{"action":"update-presence","url":"https://e.org/"}', 'invalid_frame'],
      [
        'oversized frame',
        JSON.stringify({ action: 'heartbeat', pad: 'x'.repeat(9000) }),
        'invalid_frame',
      ],
      [
        'title too long',
        JSON.stringify({ action: 'update-presence', url: '', title: 't'.repeat(600) }),
        'invalid_input',
      ],
      ['JSON null', 'null', 'invalid_frame'],
    ];
    it.each(frames)('frame %s → JSON error frame, nothing changes', async (_name, raw, code) => {
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      w.clock.advance(1000);
      const before = await snapshot(w);

      const outcome = await w.service.handleFrame(conn('alice', 'a1'), raw);

      expect(outcome).toMatchObject({ action: 'rejected', reply: { type: 'error', code } });
      expect(await snapshot(w)).toEqual(before);
      expect(w.notifier.sent).toEqual([]);
      // last-seen was not refreshed either: the sweep still sees the connect time.
      w.clock.advance(TIMEOUT);
      expect((await w.service.sweep()).expired).toBe(2);
    });

    it('routes valid frames', async () => {
      await w.service.connect(conn('alice', 'a1'));
      expect(await w.service.handleFrame(conn('alice', 'a1'), '{"action":"heartbeat"}')).toEqual({
        action: 'heartbeat',
        result: { wasRegistered: true, cameOnline: false, activityFailures: 0 },
      });
      const outcome = await w.service.handleFrame(
        conn('alice', 'a1'),
        '{"action":"update-presence","url":"https://example.org/","title":"E","extra":1}',
      );
      expect(outcome).toMatchObject({ action: 'update-presence', result: { shared: true } });
    });
  });

  describe('backend outages', () => {
    it('a store outage is a 503 from every operation', async () => {
      const failing = new Proxy({} as PresenceStore, {
        get: () => async () => {
          throw new StoreUnavailableError('redis down');
        },
      });
      w = world({ store: failing });
      const calls = [
        w.service.connect(conn('alice', 'a1')),
        w.service.heartbeat(conn('alice', 'a1')),
        w.service.updatePresence(conn('alice', 'a1'), page('https://e.org/')),
        w.service.disconnect('a1'),
        w.service.sweep(),
        w.service.getPresence('alice'),
        w.service.getUserPresence('alice', 'alice'),
      ].map((call) => (call as Promise<unknown>).catch((e: unknown) => e));
      for (const call of calls) expect(httpStatusOf(await call)).toBe(503);
    });

    it('a graph outage during an update writes nothing', async () => {
      const graph = new MemoryFriendGraph(seed);
      const flaky: FriendGraph = override<FriendGraph>(graph, {
        friendsOf: async () => {
          throw new GraphUnavailableError('postgres down');
        },
        friendsAndSettingsOf: async () => {
          throw new GraphUnavailableError('postgres down');
        },
      });
      w = world({ graph: flaky });
      await w.service.connect(conn('alice', 'a1'));
      const before = await snapshot(w);

      const error = await w.service
        .updatePresence(conn('alice', 'a1'), page('https://example.org/'))
        .catch((e: unknown) => e);

      expect(httpStatusOf(error)).toBe(503);
      expect(await snapshot(w)).toEqual(before);
    });
  });
});
