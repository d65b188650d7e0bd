import { HIDDEN_PAGE, InvalidInputError, StoreUnavailableError } from '@presence/core';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisPresenceStore } from '../src/index.js';
import { clearStore, sweepAll } from '../src/testing.js';
import {
  clearPrefix,
  clusterClient,
  clusterUnavailable,
  freshPrefix,
  keysOf,
  mastersOf,
  singleNodeClient,
  singleNodeUnavailable,
} from './helpers.js';

const T0 = 1_700_000_000_000;
const CUTOFF = T0 + 180_000;
const PAGE = { url: 'https://github.com/presence/core', title: 'GitHub' };

const targets: Array<{ name: string; skip: string | undefined; client: () => Redis | Cluster }> = [
  { name: 'single node', skip: await singleNodeUnavailable(), client: singleNodeClient },
  { name: 'cluster', skip: clusterUnavailable(), client: clusterClient },
];

let counter = 0;
const ref = (userId: string) => ({ userId, connectionId: `c${(counter++).toString(36)}Aw=` });

for (const target of targets) {
  describe.skipIf(target.skip !== undefined)(`RedisPresenceStore on a ${target.name}`, () => {
    const filePrefix = freshPrefix(`store-${target.name.replace(' ', '-')}`);
    let client: Redis | Cluster;
    let store: RedisPresenceStore;
    let n = 0;
    beforeEach(() => {
      client ??= target.client();
      store = new RedisPresenceStore({
        client,
        keyPrefix: `${filePrefix}:${++n}`,
        sweepBuckets: 8,
      });
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await clearStore(store);
    });
    afterAll(async () => {
      if (client === undefined) return;
      await clearPrefix(client, filePrefix);
      await client.quit();
    });

    describe('round trips', () => {
      it('touch, addConnection and setPage send one script (plus the connection record script on a cluster)', async () => {
        const a = ref('alice');
        await store.addConnection(a, T0); // loads the scripts
        const send = vi.spyOn(client, 'sendCommand');
        await store.touch(a, T0 + 1);
        await store.addConnection(a, T0 + 2);
        await store.setPage(a, PAGE, true, T0 + 3);
        const perOp = store.isCluster ? 2 : 1;
        expect(send).toHaveBeenCalledTimes(3 * perOp);
        const names = send.mock.calls.map(([command]) => (command as { name: string }).name);
        expect(names.filter((name) => name === 'evalsha')).toHaveLength(3 * perOp);
      });

      it('userOfConnection is one GET; removeConnection one script (GET, then script + delete on a cluster)', async () => {
        const a = ref('alice');
        await store.addConnection(a, T0);
        await store.removeConnection('bm9ib2R5='); // loads the scripts
        const send = vi.spyOn(client, 'sendCommand');
        expect(await store.userOfConnection(a.connectionId)).toBe('alice');
        expect(send).toHaveBeenCalledTimes(1);
        send.mockClear();
        expect(await store.removeConnection(a.connectionId)).toMatchObject({
          userId: 'alice',
          userOffline: true,
          announcement: { userId: 'alice', lastActivity: T0 },
        });
        expect(send).toHaveBeenCalledTimes(store.isCluster ? 3 : 1);
      });

      it('presenceOf and connectionsOf of 5,000 users cost one pipeline per master', async () => {
        const online = Array.from({ length: 50 }, (_, i) => ref(`friend-${i * 100}`));
        for (const r of online) await store.setPage(r, PAGE, true, T0);
        const ids = Array.from({ length: 5_000 }, (_, i) => `friend-${i}`);
        // Pipelines write their commands in one go (ioredis routes each through sendCommand with a
        // buffering stream), so count pipelines.
        const pipeline = vi.spyOn(client, 'pipeline');
        const presence = await store.presenceOf(ids);
        const connections = await store.connectionsOf(ids);
        const masters = mastersOf(client).length;
        expect(pipeline.mock.calls.length).toBeLessThanOrEqual(2 * masters);
        expect(presence.size).toBe(50);
        expect(presence.get('friend-100')).toEqual({ page: PAGE, latestPage: PAGE });
        expect(connections.get('friend-4900')).toEqual([online[49]?.connectionId]);
      });

      it('connectionsOf with seenSince of 5,000 users costs one pipeline per master and filters in Redis', async () => {
        const online = Array.from({ length: 50 }, (_, i) => ref(`seen-${i * 100}`));
        // Half were last seen at T0, half at T0 + 10.
        for (const [i, r] of online.entries()) await store.touch(r, i % 2 === 0 ? T0 : T0 + 10);
        const ids = Array.from({ length: 5_000 }, (_, i) => `seen-${i}`);
        const pipeline = vi.spyOn(client, 'pipeline');
        const live = await store.connectionsOf(ids, T0 + 10);
        expect(pipeline.mock.calls.length).toBeLessThanOrEqual(mastersOf(client).length);
        expect(live.size).toBe(25);
        expect(live.get('seen-100')).toEqual([online[1]?.connectionId]);
        expect(live.has('seen-0')).toBe(false);
        expect((await store.connectionsOf(ids, T0)).size).toBe(50);
      });
    });

    describe('key layout and TTLs', () => {
      it('writes three keys per connection, each with a TTL of ttlMs, refreshed on activity', async () => {
        const a = ref('{weird} ünïcødé 😀');
        await store.setPage(a, PAGE, true, T0);
        const keys = (await keysOf(store)).sort();
        expect(keys).toEqual(store.keys.keysOf(a.userId, a.connectionId).sort());
        for (const key of keys) {
          await client.pexpire(key, 1_000);
        }
        await store.touch(a, T0 + 1);
        for (const key of keys) {
          const ttl = await client.pttl(key);
          expect(ttl, key).toBeGreaterThan(1_000);
          expect(ttl, key).toBeLessThanOrEqual(store.ttlMs);
        }
      });

      it('keeps the user hash and the bucket in one slot (the cluster would refuse otherwise)', async () => {
        for (const userId of ['{', '}', '}{', '{x}', '用户', `o'brien "bob"`]) {
          const [userKey, bucketKey] = store.keys.keysOf(userId, 'abc=');
          expect(calculateSlot(userKey as string)).toBe(calculateSlot(bucketKey as string));
          const r = ref(userId);
          await store.setPage(r, PAGE, true, T0);
          expect(await store.userOfConnection(r.connectionId)).toBe(userId);
        }
      });

      it('a full sweep leaves only the outbox and the last-seen keys, each with its own TTL', async () => {
        for (let i = 0; i < 20; i++) await store.setPage(ref(`u${i % 7}`), PAGE, i % 2 === 0, T0);
        const swept = await sweepAll(store, Number.MAX_SAFE_INTEGER, 3);
        expect(swept.expired).toHaveLength(20);
        expect(new Set(swept.offline).size).toBe(7);
        const left = await keysOf(store);
        const kinds = new Set(left.map((key) => /:\{\d+\}:(\w+)/.exec(key)?.[1]));
        expect([...kinds].sort()).toEqual(['l', 'o', 'od']);
        expect(left.filter((key) => /:l:/.test(key))).toHaveLength(7);
        const { outboxTtlMs, outboxLeaseMs, lastSeenRetentionMs } = store.durations;
        for (const key of left) {
          const ttl = await client.pttl(key);
          const max = /:l:/.test(key) ? lastSeenRetentionMs : outboxTtlMs + outboxLeaseMs;
          expect(ttl > max - 60_000 && ttl <= max, key).toBe(true);
        }
      });

      it('stores pages compactly: a user with one connection and a 150-byte page fits the budget', async () => {
        const a = ref('google_117429865182265482928');
        const page = { url: `https://example.com/${'p'.repeat(95)}`, title: 't'.repeat(35) };
        await store.setPage(a, page, true, T0);
        const [userKey, , recordKey] = store.keys.keysOf(a.userId, a.connectionId);
        const hash = await client.hgetall(userKey as string);
        expect(Object.keys(hash).sort()).toEqual(
          [`c:${a.connectionId}`, 'L', 'a', 'n', 't0', 'u0', 'u1'].sort(),
        );
        expect(await client.object('ENCODING', userKey as string)).toBe('listpack');
        expect(await client.get(recordKey as string)).toBe(store.keys.owner(a.userId));
      });
    });

    describe('pages', () => {
      it('round-trips long pages with multi-byte characters across chunk boundaries', async () => {
        const a = ref('alice');
        const url =
          `https://example.com/${'é'.repeat(33)}${'😀'.repeat(40)}?q=${'x'.repeat(2000)}`.slice(
            0,
            2048,
          );
        const page = { url, title: `${'用'.repeat(100)}😀${'é'.repeat(300)}`.slice(0, 512) };
        expect((await store.setPage(a, page, true, T0)).latestPage).toEqual(page);
        const shorter = { url: 'https://a.example/', title: 'ü' };
        await store.setPage(a, shorter, false, T0 + 1);
        expect(await store.presenceOf(['alice'])).toEqual(
          new Map([['alice', { page: shorter, latestPage: page }]]),
        );
        await store.setPage(a, shorter, true, T0 + 2);
        expect(await store.presenceOf(['alice'])).toEqual(
          new Map([['alice', { page: shorter, latestPage: shorter }]]),
        );
        const fields = Object.keys(await client.hgetall(store.keys.userKey('alice')));
        expect(fields.sort()).toEqual([`c:${a.connectionId}`, 'L', 'a', 'n', 't0', 'u0'].sort());
        await store.setPage(a, { url: '', title: '' }, true, T0 + 3);
        expect(await store.presenceOf(['alice'])).toEqual(
          new Map([['alice', { page: HIDDEN_PAGE, latestPage: shorter }]]),
        );
      });
    });

    describe('sweep', () => {
      it('never removes connections touched at or after the cutoff, under concurrent touches and sweeps from several clients', async () => {
        const others = Array.from(
          { length: 3 },
          () =>
            new RedisPresenceStore({
              client: target.client(),
              keyPrefix: store.keyPrefix,
              sweepBuckets: 8,
            }),
        );
        const stores = [store, ...others];
        try {
          const live = Array.from({ length: 120 }, (_, i) => ref(`live-${i % 40}`));
          const stale = Array.from({ length: 60 }, (_, i) => ref(`stale-${i % 25}`));
          for (const r of live) await store.addConnection(r, CUTOFF);
          for (const r of stale) await store.setPage(r, PAGE, true, CUTOFF - 1);
          const work: Array<Promise<unknown>> = [];
          const batches: Array<Promise<{ expired: readonly { connectionId: string }[] }>> = [];
          const touches: Array<Promise<{ wasRegistered: boolean }>> = [];
          for (let round = 0; round < 10; round++) {
            for (const [i, r] of live.entries()) {
              const s = stores[(i + round) % stores.length] as RedisPresenceStore;
              touches.push(
                i % 3 === 0 ? s.setPage(r, PAGE, true, CUTOFF + round) : s.touch(r, CUTOFF + round),
              );
              if (i % 10 === 0) batches.push(s.sweep(CUTOFF, 7));
            }
          }
          work.push(...touches, ...batches);
          await Promise.all(work);
          const drained = await sweepAll(store, CUTOFF, 50);
          const expired = [
            ...(await Promise.all(batches)).flatMap((b) => b.expired),
            ...drained.expired,
          ].map((r) => r.connectionId);
          const liveIds = new Set(live.map((r) => r.connectionId));
          expect(expired.filter((id) => liveIds.has(id))).toEqual([]);
          expect((await Promise.all(touches)).every((t) => t.wasRegistered)).toBe(true);
          expect([...expired].sort()).toEqual(stale.map((r) => r.connectionId).sort());
          const connections = await store.connectionsOf(live.map((r) => r.userId));
          expect([...connections.values()].flat().sort()).toEqual([...liveIds].sort());
          expect(await store.presenceOf(stale.map((r) => r.userId))).toEqual(new Map());
        } finally {
          await Promise.all(others.map((s) => s.client.quit()));
        }
      });

      it('removes exactly min(limit, stale) per call across buckets, rotating fairly', async () => {
        const stale = Array.from({ length: 30 }, (_, i) => ref(`s-${i}`));
        for (const r of stale) await store.addConnection(r, T0);
        const sizes: number[] = [];
        for (;;) {
          const batch = await store.sweep(CUTOFF, 4);
          sizes.push(batch.expired.length);
          if (!batch.more) break;
        }
        expect(sizes).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
      });
    });

    describe('arguments', () => {
      it('rejects bad input with InvalidInputError and writes nothing', async () => {
        const bad: Array<() => Promise<unknown>> = [
          () => store.touch({ userId: '', connectionId: 'abc=' }, T0),
          () => store.touch({ userId: 'alice', connectionId: 'has space' }, T0),
          () => store.touch({ userId: 'alice', connectionId: '{abc}' }, T0),
          () => store.touch({ userId: 'x'.repeat(129), connectionId: 'abc=' }, T0),
          () => store.touch(ref('alice'), Number.NaN),
          () => store.setPage(ref('alice'), { url: 'x'.repeat(2049), title: '' }, true, T0),
          () => store.sweep(T0, 0),
          () => store.sweep(Number.POSITIVE_INFINITY, 10),
        ];
        for (const call of bad) {
          await expect(call()).rejects.toSatisfy((e) => InvalidInputError.isInstance(e));
        }
        expect(await keysOf(store)).toEqual([]);
      });

      it('treats ids that could never be written as unknown in reads', async () => {
        expect(await store.userOfConnection('{nope}')).toBeUndefined();
        expect(await store.removeConnection('no pe')).toBeUndefined();
        expect(await store.presenceOf(['', 'x'.repeat(500)])).toEqual(new Map());
      });

      it('counts the connections of a hash written before the kept count once, then keeps it', async () => {
        const [a1, a2, a3] = [ref('legacy'), ref('legacy'), ref('legacy')];
        for (const r of [a1, a2, a3]) await store.addConnection(r, T0);
        // The layout before the count: no `n`, no `a`.
        await client.hdel(store.keys.userKey('legacy'), 'n', 'a');
        expect(await store.removeConnection(a1.connectionId)).toEqual({
          userId: 'legacy',
          userOffline: false,
        });
        expect(await client.hget(store.keys.userKey('legacy'), 'n')).toBe('2');
        await client.hdel(store.keys.userKey('legacy'), 'n', 'a');
        await store.touch(ref('legacy'), T0 + 1);
        expect(await client.hget(store.keys.userKey('legacy'), 'n')).toBe('3');
        const batch = await store.sweep(T0 + 1, 10);
        expect(batch.expired.map((r) => r.connectionId).sort()).toEqual(
          [a2.connectionId, a3.connectionId].sort(),
        );
        expect(batch.offline).toEqual([]);
      });

      it('drops the records of connections the cap evicted', async () => {
        const [a1, a2] = [ref('capped'), ref('capped')];
        await store.addConnection(a1, T0);
        expect((await store.addConnection(a2, T0 + 1, { maxConnections: 1 })).evicted).toEqual([
          a1.connectionId,
        ]);
        expect(await client.exists(store.keys.connectionKey(a1.connectionId))).toBe(0);
        expect(await store.userOfConnection(a2.connectionId)).toBe('capped');
      });

      it('moves a connection id reused by another user away from its first owner', async () => {
        const a = ref('alice');
        await store.setPage(a, PAGE, true, T0);
        expect(await store.touch({ userId: 'bob', connectionId: a.connectionId }, T0 + 1)).toEqual({
          wasRegistered: false,
          cameOnline: true,
        });
        expect(await store.userOfConnection(a.connectionId)).toBe('bob');
        expect(await store.presenceOf(['alice', 'bob'])).toEqual(
          new Map([['bob', { page: HIDDEN_PAGE, latestPage: null }]]),
        );
      });
    });
  });
}

describe.skipIf(targets[0]?.skip !== undefined)('RedisPresenceStore client ownership', () => {
  it('creates its client lazily from options, connects on first use, and closes only its own', async () => {
    const store = new RedisPresenceStore({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: freshPrefix('own'),
    });
    const client = store.client;
    expect(client.status).toBe('wait');
    expect(await store.userOfConnection('abc=')).toBeUndefined();
    expect(client.status).toBe('ready');
    await store.close();
    await expect(client.ping()).rejects.toThrow(/closed/i);
    await expect(store.userOfConnection('abc=')).rejects.toSatisfy((e) =>
      StoreUnavailableError.isInstance(e),
    );
    await store.close();

    const given = singleNodeClient();
    const borrowing = new RedisPresenceStore({ client: given, keyPrefix: freshPrefix('borrow') });
    expect(await borrowing.userOfConnection('abc=')).toBeUndefined();
    await borrowing.close();
    expect(await given.ping()).toBe('PONG');
    await given.quit();
  });

  it.skipIf(targets[1]?.skip !== undefined)(
    'clearStore on a lazily created cluster client finds the masters first',
    async () => {
      const prefix = freshPrefix('lazy-cluster');
      const writer = new RedisPresenceStore({ client: clusterClient(), keyPrefix: prefix });
      for (let i = 0; i < 10; i++) {
        await writer.addConnection({ userId: `u${i}`, connectionId: `lz${i}=` }, 1);
      }
      const lazy = new RedisPresenceStore({
        clusterNodes: [{ host: '127.0.0.1', port: 7101 }],
        keyPrefix: prefix,
      });
      await clearStore(lazy);
      expect(await keysOf(writer)).toEqual([]);
      await lazy.close();
      await writer.client.quit();
    },
  );

  it('never connects when closed before use', async () => {
    const store = new RedisPresenceStore({ url: 'redis://127.0.0.1:6379' });
    const client = store.client;
    await store.close();
    expect(client.status).not.toBe('ready');
    await expect(store.touch({ userId: 'a', connectionId: 'abc=' }, 1)).rejects.toSatisfy((e) =>
      StoreUnavailableError.isInstance(e),
    );
    expect(client.status).not.toBe('ready');
  });

  it('refuses an ioredis client with its own keyPrefix, and conflicting sources', () => {
    const prefixed = singleNodeClient();
    prefixed.options.keyPrefix = 'x:';
    expect(() => new RedisPresenceStore({ client: prefixed })).toThrow(/keyPrefix/);
    prefixed.disconnect();
    expect(() => new RedisPresenceStore({ url: 'redis://127.0.0.1', clusterNodes: [] })).toThrow(
      /at most one/,
    );
    expect(() => new RedisPresenceStore({ ttlMs: 0 })).toThrow(/ttlMs/);
  });
});
