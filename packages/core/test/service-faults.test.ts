import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FriendGraph,
  GraphUnavailableError,
  httpStatusOf,
  type Logger,
  MemoryFriendGraph,
  MemoryPresenceStore,
  type PartitionMark,
  PresenceService,
  type PresenceStore,
  RateLimitedError,
  type ReconcileProgress,
  StoreUnavailableError,
  type SweepMarkers,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import {
  conn,
  override,
  page,
  SEEN_AT_START,
  seed,
  TIMEOUT,
  timeoutOf,
  types,
  world,
} from './support/service-world.js';

const LEASE = 30_000;
const timeout = (userId: string, lastSeenAt: string | null = SEEN_AT_START) =>
  timeoutOf(userId, lastSeenAt);

/** A friend graph that fails with GraphUnavailableError while `down` is set. */
function flakyGraph(): { graph: FriendGraph; down: { value: boolean } } {
  const inner = new MemoryFriendGraph(seed);
  const down = { value: false };
  const fail = () => Promise.reject(new GraphUnavailableError('postgres down'));
  const graph = override<FriendGraph>(inner, {
    friendsOf: (id: string) => (down.value ? fail() : inner.friendsOf(id)),
    friendsOfMany: (ids: readonly string[]) => (down.value ? fail() : inner.friendsOfMany(ids)),
  });
  return { graph, down };
}

/** A store whose every call fails with StoreUnavailableError while `down` is set. */
function flakyStore(inner: MemoryPresenceStore): {
  store: PresenceStore;
  down: { value: boolean };
} {
  const down = { value: false };
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        down.value
          ? Promise.reject(new StoreUnavailableError('redis down'))
          : value.apply(target, args);
    },
  });
  return { store, down };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    info() {},
    warn: (_fields, message) => void warnings.push(message),
    error() {},
  };
}

describe('PresenceService faults', () => {
  describe('the offline outbox', () => {
    it('a $disconnect while the graph is down succeeds, and the next sweep past the lease announces', async () => {
      const { graph, down } = flakyGraph();
      const w = world({ graph });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      down.value = true;

      const result = await w.service.disconnect('a1');

      expect(result).toEqual({
        userId: 'alice',
        userOffline: true,
        notified: 0,
        deferred: true,
        activityFailures: 0,
      });
      expect(w.notifier.framesFor('b1')).toEqual([]);
      down.value = false;
      // Within the lease the entry is left to whoever recorded it.
      expect(await w.service.sweep()).toMatchObject({ drained: 0, notified: 0 });
      w.clock.advance(LEASE);
      expect(await w.service.sweep()).toMatchObject({ drained: 1, announced: 1, notified: 1 });
      expect(w.notifier.framesFor('b1')).toEqual([timeout('alice')]);
      w.clock.advance(LEASE);
      expect(await w.service.sweep()).toMatchObject({ drained: 0, notified: 0 });
      expect(w.notifier.framesFor('b1')).toEqual([timeout('alice')]);
    });

    it('a sweep while the graph is down removes, defers, and the next sweep announces', async () => {
      const { graph, down } = flakyGraph();
      const w = world({ graph });
      await w.service.connect(conn('alice', 'a1'));
      w.clock.advance(TIMEOUT);
      await w.service.connect(conn('bob', 'b1'));
      w.clock.advance(1);
      down.value = true;

      const first = await w.service.sweep();

      expect(first).toMatchObject({ expired: 1, offline: 1, closed: 1, deferred: 1, notified: 0 });
      down.value = false;
      w.clock.advance(LEASE);
      await w.service.heartbeat(conn('bob', 'b1'));
      const second = await w.service.sweep();
      expect(second).toMatchObject({ expired: 0, drained: 1, announced: 1, notified: 1 });
      expect(w.notifier.framesFor('b1')).toEqual([timeout('alice')]);
    });

    it('posts that failed are not acknowledged: retried until delivered; gone ones count as done', async () => {
      const w = world();
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('carol', 'c1'));
      await w.service.connect(conn('carol', 'c2'));
      w.notifier.markFailing('b1');
      w.notifier.markGone('c2');

      const result = await w.service.disconnect('a1');

      expect(result).toMatchObject({ notified: 1, deferred: true });
      expect(await w.store.userOfConnection('c2')).toBeUndefined();
      w.clock.advance(LEASE);
      await w.service.heartbeat(conn('bob', 'b1'));
      await w.service.heartbeat(conn('carol', 'c1'));
      expect(await w.service.sweep()).toMatchObject({ drained: 1, deferred: 1, announced: 0 });
      w.notifier.reset();
      w.clock.advance(LEASE);
      expect(await w.service.sweep()).toMatchObject({ drained: 1, deferred: 0, announced: 1 });
      expect(w.notifier.framesFor('b1')).toEqual([timeout('alice')]);
      expect(w.notifier.framesFor('c1')).toEqual([timeout('alice')]);
      w.clock.advance(LEASE);
      expect(await w.service.sweep()).toMatchObject({ drained: 0 });
    });

    it('a user back online before the retry is not announced offline', async () => {
      const { graph, down } = flakyGraph();
      const w = world({ graph });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      down.value = true;
      await w.service.disconnect('a1');
      await w.service.connect(conn('alice', 'a2'));
      down.value = false;
      w.clock.advance(LEASE);

      expect(await w.service.sweep()).toMatchObject({ drained: 0, notified: 0 });
      expect(types(w.notifier.framesFor('b1'))).toEqual([]);
    });

    it('a user who comes back while their claimed entry is being announced is not announced', async () => {
      const inner = new MemoryFriendGraph(seed);
      let w = world();
      const graph = override<FriendGraph>(inner, {
        friendsOfMany: async (ids: readonly string[]) => {
          // alice reconnects between the claim and the send.
          if (ids.includes('alice'))
            await w.store.addConnection(conn('alice', 'a2'), w.clock.now());
          return inner.friendsOfMany(ids);
        },
      });
      const { graph: failing, down } = flakyGraph();
      w = world({ graph: failing });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      down.value = true;
      await w.service.disconnect('a1');
      const service = new PresenceService({
        store: w.store,
        graph,
        notifier: w.notifier,
        clock: w.clock,
        timeoutMs: TIMEOUT,
      });
      w.clock.advance(LEASE);

      expect(await service.sweep()).toMatchObject({ drained: 1, notified: 0, announced: 0 });
      expect(w.notifier.framesFor('b1')).toEqual([]);
    });
  });

  describe('recovery after an outage', () => {
    it('holds the cutoff for a heartbeat interval after the store comes back, then sweeps the dead', async () => {
      const clock = new FakeClock();
      const inner = new MemoryPresenceStore({ clock });
      const { store, down } = flakyStore(inner);
      const logger = recordingLogger();
      const w = world({ store, clock }, { logger });
      const T = w.clock.now();
      await w.service.connect(conn('dave', 'd1'));
      w.clock.advance(100_000);
      for (const [user, id] of [
        ['alice', 'a1'],
        ['bob', 'b1'],
        ['carol', 'c1'],
      ] as const) {
        await w.service.connect(conn(user, id));
      }
      w.clock.advance(50_000);
      expect(await w.service.sweep()).toMatchObject({ expired: 0 });
      down.value = true;
      w.clock.advance(300_000);
      await expect(w.service.heartbeat(conn('alice', 'a1'))).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      await expect(w.service.sweep()).rejects.toMatchObject({ code: 'store_unavailable' });
      down.value = false;

      // T + 450 s: every last-seen is older than the timeout, but only what was stale at the last
      // sweep before the outage (T + 150 s) may go: nothing here.
      const held = await w.service.sweep();
      expect(held).toMatchObject({ expired: 0, cutoff: T + 150_000 - TIMEOUT });
      expect(held.hold).toEqual({ until: T + 510_000 });
      expect(logger.warnings.some((m) => /holding the cutoff/.test(m))).toBe(true);
      w.clock.advance(10_000);
      await w.service.heartbeat(conn('alice', 'a1'));
      await w.service.heartbeat(conn('bob', 'b1'));
      w.clock.advance(50_000);

      const after = await w.service.sweep();
      expect(after).toMatchObject({ expired: 2, offline: 2, cutoff: T + 510_000 - TIMEOUT });
      expect(after.hold).toBeUndefined();
      expect(w.notifier.closed.sort()).toEqual(['c1', 'd1']);
      // carol's last heartbeat (T + 150 s, 22:15:50) rounded down to 5 minutes.
      expect(w.notifier.framesFor('a1')).toEqual([timeout('carol', '2023-11-14T22:15:00.000Z')]);
      expect(await inner.userOfConnection('a1')).toBe('alice');
    });

    it('a sweep gap no longer than timeout minus the heartbeat interval is not an outage', async () => {
      const w = world();
      await w.service.connect(conn('alice', 'a1'));
      await w.service.sweep();
      w.clock.advance(TIMEOUT - 60_000);
      expect((await w.service.sweep()).hold).toBeUndefined();
      w.clock.advance(TIMEOUT - 60_000 + 1);
      expect((await w.service.sweep()).hold).toEqual({ until: w.clock.now() + 60_000 });
    });

    it('reports a mass timeout with its share and a warn line', async () => {
      const logger = recordingLogger();
      const w = world({}, { logger });
      for (let i = 0; i < 120; i++) await w.service.connect(conn(`u${i}`, `u${i}c`));
      w.clock.advance(TIMEOUT + 1);
      for (let i = 0; i < 40; i++) await w.service.connect(conn(`v${i}`, `v${i}c`));

      const report = await w.service.sweep();

      expect(report).toMatchObject({ expired: 120, massTimeout: true, staleShare: 120 / 160 });
      expect(logger.warnings).toContain(
        'mass timeout: an unusually large share of connections is stale at once',
      );
      w.clock.advance(1);
      expect(await w.service.sweep()).toMatchObject({ massTimeout: false, staleShare: 0 });
    });
  });

  describe('reconcile after data loss', () => {
    /** Two partitions over a memory store: carol's (1) loses its data once; everyone else is in 0. */
    function lossyMarkers(store: MemoryPresenceStore): SweepMarkers & { lose(): void } {
      const partitionOf = (userId: string) => (userId === 'carol' ? 1 : 0);
      const state = new Map<number, { epoch: number; seen: number; cursor?: number }>();
      let losing = false;
      return {
        partitions: 2,
        partitionOf,
        lose() {
          losing = true;
        },
        async markSweep(now: number): Promise<PartitionMark[]> {
          return [0, 1]
            .map((partition) => {
              let mark = state.get(partition);
              const lost = mark === undefined || (losing && partition === 1);
              if (lost) {
                mark = { epoch: now, seen: now, ...(losing ? { cursor: 0 } : {}) };
                state.set(partition, mark);
              }
              const m = mark as { epoch: number; seen: number; cursor?: number };
              m.seen = now;
              return {
                partition,
                epoch: m.epoch,
                lost: lost && losing,
                ...(m.cursor === undefined ? {} : { reconcileFrom: m.cursor }),
              };
            })
            .map((mark) => {
              if (mark.partition === 1) losing = false;
              return mark;
            });
        },
        async markReconciled(progress: readonly ReconcileProgress[]) {
          for (const { partition, epoch, next } of progress) {
            const mark = state.get(partition);
            if (mark === undefined || mark.epoch !== epoch) continue;
            if (next >= 2) delete mark.cursor;
            else mark.cursor = next;
          }
        },
        async liveUsersIn(partition: number, seenSince: number) {
          return (await store.liveUsersIn(0, seenSince)).filter(
            (u) => partitionOf(u) === partition,
          );
        },
      };
    }

    it('tells live users, once the timeout passed, about offline friends of the lost partition only', async () => {
      const clock = new FakeClock();
      const store = new MemoryPresenceStore({ clock });
      const markers = lossyMarkers(store);
      const w = world({ store, clock }, { markers });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('dave', 'd1'));
      await w.service.sweep();
      // carol's partition is lost with her connection: she never comes back.
      markers.lose();
      const detected = await w.service.sweep();
      expect(detected).toMatchObject({ lostPartitions: 1, reconciled: 0 });
      w.clock.advance(60_000);
      for (const [u, id] of [
        ['alice', 'a1'],
        ['bob', 'b1'],
        ['dave', 'd1'],
      ] as const) {
        await w.service.heartbeat(conn(u, id));
      }
      w.clock.advance(TIMEOUT - 60_000);
      for (const [u, id] of [
        ['alice', 'a1'],
        ['bob', 'b1'],
        ['dave', 'd1'],
      ] as const) {
        await w.service.heartbeat(conn(u, id));
      }

      const report = await w.service.sweep();

      // alice's friends: bob (online), carol (lost partition, offline), ghost (offline, partition 0).
      expect(report).toMatchObject({ reconciled: 1, done: true });
      // carol's last seen was lost with her partition: unknown.
      expect(w.notifier.framesFor('a1')).toEqual([timeout('carol', null)]);
      expect(w.notifier.framesFor('b1')).toEqual([]);
      expect(w.notifier.framesFor('d1')).toEqual([]);
      w.clock.advance(1);
      expect(await w.service.sweep()).toMatchObject({ reconciled: 0 });
    });
  });

  describe('the connection cap', () => {
    it('closes the least recently seen connection of a user past maxConnectionsPerUser', async () => {
      const w = world({}, { maxConnectionsPerUser: 2 });
      await w.service.connect(conn('bob', 'b1'));
      await w.service.connect(conn('alice', 'a1'));
      w.clock.advance(1);
      await w.service.connect(conn('alice', 'a2'));
      w.clock.advance(1);
      await w.service.heartbeat(conn('alice', 'a1'));

      const result = await w.service.connect(conn('alice', 'a3'));

      expect(result).toEqual({ cameOnline: false, activityFailures: 0, evicted: 1 });
      expect(w.notifier.closed).toEqual(['a2']);
      expect((await w.store.connectionsOf(['alice'])).get('alice')?.sort()).toEqual(['a1', 'a3']);
      expect(w.notifier.framesFor('b1')).toEqual([]);
    });

    it('reports the evictions of a heartbeat or an update that re-registers a connection (for the metrics)', async () => {
      const w = world({}, { maxConnectionsPerUser: 1 });
      await w.service.connect(conn('alice', 'a1'));
      w.clock.advance(1);

      const heartbeat = await w.service.heartbeat(conn('alice', 'a2'));
      w.clock.advance(1);
      const update = await w.service.updatePresence(conn('alice', 'a3'), {
        url: 'https://example.org/',
        title: 'E',
      });
      const kept = await w.service.heartbeat(conn('alice', 'a3'));

      expect(heartbeat).toMatchObject({ wasRegistered: false, evicted: 1 });
      expect(update).toMatchObject({ unchanged: false, evicted: 1 });
      expect(kept).not.toHaveProperty('evicted');
      expect(w.notifier.closed).toEqual(['a1', 'a2']);
    });
  });

  describe('the frame rate limit', () => {
    it('answers excess frames with a rate_limited error frame and changes nothing', async () => {
      const w = world({}, { frameRateLimit: { perSecond: 1, burst: 2 } });
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));
      const frame = '{"action":"update-presence","url":"https://example.org/","title":"E"}';
      expect(await w.service.handleFrame(conn('alice', 'a1'), frame)).toMatchObject({
        action: 'update-presence',
      });
      expect(await w.service.handleFrame(conn('alice', 'a1'), '{"action":"heartbeat"}')).toEqual({
        action: 'heartbeat',
        result: { wasRegistered: true, cameOnline: false, activityFailures: 0 },
      });
      w.notifier.clear();

      const outcome = await w.service.handleFrame(
        conn('alice', 'a1'),
        '{"action":"update-presence","url":"https://other.example/","title":"O"}',
      );

      expect(outcome).toMatchObject({
        action: 'rejected',
        reply: { type: 'error', code: 'rate_limited' },
      });
      expect(w.notifier.sent).toEqual([]);
      expect((await w.service.getUserPresence('bob', 'alice'))?.url).toBe('https://example.org/');
      const error = await w.service.heartbeat(conn('alice', 'a1')).catch((e: unknown) => e);
      expect(RateLimitedError.isInstance(error)).toBe(true);
      expect(httpStatusOf(error)).toBe(429);
      w.clock.advance(1_000);
      await w.service.heartbeat(conn('alice', 'a1'));
    });
  });

  describe('store timeouts (storeTimeoutMs)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A memory store whose addConnection answers only when `release` is called. */
    function stalledStore(inner: MemoryPresenceStore, runFirst: boolean) {
      const calls: Array<{ deadline?: number }> = [];
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const store = override<PresenceStore>(inner, {
        addConnection: async (ref, now, options) => {
          calls.push({
            ...(options?.deadline === undefined ? {} : { deadline: options.deadline }),
          });
          if (runFirst) {
            const result = await inner.addConnection(ref, now, options);
            await gate;
            return result;
          }
          await gate;
          return inner.addConnection(ref, now, options);
        },
      });
      return { store, calls, release: () => release() };
    }

    it('a connect the store runs after its deadline is refused and never lands', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const clock = new FakeClock();
      const inner = new MemoryPresenceStore({ clock });
      const { store, calls, release } = stalledStore(inner, false);
      const w = world({ store, clock }, { storeTimeoutMs: 1_000, storeClockSkewMs: 250 });
      const started = w.clock.now();

      const connecting = w.service.connect(conn('alice', 'a1')).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_249);
      w.clock.advance(1_249);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);

      expect(httpStatusOf(await connecting)).toBe(503);
      expect(calls).toEqual([{ deadline: started + 1_000 }]);
      w.clock.advance(5_000);
      release();
      await vi.runAllTimersAsync();
      expect(await inner.userOfConnection('a1')).toBeUndefined();
      expect(await inner.presenceOf(['alice'])).toEqual(new Map());
    });

    it('a connect that ran in time but answered too late is undone', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const clock = new FakeClock();
      const inner = new MemoryPresenceStore({ clock });
      const { store, release } = stalledStore(inner, true);
      const w = world({ store, clock }, { storeTimeoutMs: 1_000 });

      const connecting = w.service.connect(conn('alice', 'a1')).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_250);

      expect(httpStatusOf(await connecting)).toBe(503);
      release();
      await vi.runAllTimersAsync();
      expect(await inner.userOfConnection('a1')).toBeUndefined();
    });

    it('updates carry the deadline too, heartbeats (the hot path) do not; without storeTimeoutMs nothing does', async () => {
      const clock = new FakeClock();
      const inner = new MemoryPresenceStore({ clock });
      const seen: Array<number | undefined> = [];
      const store = override<PresenceStore>(inner, {
        touch: (ref, now, options) => {
          seen.push(options?.deadline);
          return inner.touch(ref, now, options);
        },
        setPage: (ref, p, shared, now, options) => {
          seen.push(options?.deadline);
          return inner.setPage(ref, p, shared, now, options);
        },
      });
      const bounded = world({ store }, { storeTimeoutMs: 2_000 });
      await bounded.service.heartbeat(conn('alice', 'a1'));
      await bounded.service.updatePresence(conn('alice', 'a1'), page('https://example.org/'));
      const unbounded = world({ store });
      await unbounded.service.updatePresence(conn('alice', 'a1'), page('https://example.org/'));
      expect(seen).toEqual([undefined, bounded.clock.now() + 2_000, undefined]);
    });
  });
});
