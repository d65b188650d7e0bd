import { describe, expect, it } from 'vitest';
import type { ConnectionRef } from '../model.js';
import type { RateLimit } from '../ports.js';
import { durable } from './outbox-suite.js';
import {
  ALICE,
  BOB,
  conn,
  PAGE_A,
  PAGE_B,
  removal,
  type SuiteContext,
  sortedIds,
  T0,
} from './suite-fixtures.js';

const ids = (refs: readonly ConnectionRef[]) => sortedIds(refs.map((r) => r.connectionId));

/** The write options the store enforces atomically: the connection cap, the rate limit, the deadline. */
export function limitTests(ctx: SuiteContext): void {
  describe('connection cap', () => {
    it('an add beyond maxConnections evicts the least recently seen others and reports them', async () => {
      const store = ctx.store();
      const c = [conn(ALICE), conn(ALICE), conn(ALICE), conn(ALICE), conn(ALICE)] as const;
      for (const [i, ref] of c.slice(0, 3).entries()) {
        expect(await store.addConnection(ref, T0 + i, { maxConnections: 3 })).toEqual({
          wasRegistered: false,
          ...(i === 0 ? { cameOnline: true } : {}),
        });
      }
      expect(await store.addConnection(c[3], T0 + 3, { maxConnections: 3 })).toEqual({
        wasRegistered: false,
        evicted: [c[0].connectionId],
      });
      expect(await store.userOfConnection(c[0].connectionId)).toBeUndefined();
      expect(await store.removeConnection(c[0].connectionId)).toBeUndefined();
      // A touch makes c[1] the most recent: c[2] is now the oldest other.
      await store.touch(c[1], T0 + 10, { maxConnections: 3 });
      const result = await store.addConnection(c[4], T0 + 4, { maxConnections: 3 });
      expect(result.evicted).toEqual([c[2].connectionId]);
      expect(sortedIds((await store.connectionsOf([ALICE])).get(ALICE))).toEqual(
        ids([c[1], c[3], c[4]]),
      );
    });

    it('evicts as many as needed, oldest first, ties broken by the smaller connection id', async () => {
      const store = ctx.store();
      const refs = ['cap-b=', 'cap-a=', 'cap-c=', 'cap-d='].map((connectionId) => ({
        userId: ALICE,
        connectionId,
      }));
      for (const ref of refs) await store.addConnection(ref, T0);
      const newest = { userId: ALICE, connectionId: 'cap-0=' };
      const result = await store.addConnection(newest, T0, { maxConnections: 2 });
      expect(result.evicted).toEqual(['cap-a=', 'cap-b=', 'cap-c=']);
      expect((await store.connectionsOf([ALICE])).get(ALICE)?.sort()).toEqual(
        ['cap-0=', 'cap-d='].sort(),
      );
    });

    it('a known connection never evicts; touch and setPage re-registering one apply the cap', async () => {
      const store = ctx.store();
      const [a1, a2, a3] = [conn(ALICE), conn(ALICE), conn(ALICE)];
      await store.addConnection(a1, T0);
      await store.addConnection(a2, T0 + 1);
      expect(await store.touch(a1, T0 + 2, { maxConnections: 1 })).toEqual({ wasRegistered: true });
      expect((await store.connectionsOf([ALICE])).get(ALICE)).toHaveLength(2);
      expect(await store.setPage(a3, PAGE_A, true, T0 + 3, { maxConnections: 2 })).toMatchObject({
        wasRegistered: false,
        evicted: [a2.connectionId],
      });
      expect(await store.touch(conn(ALICE), T0 + 4, { maxConnections: 2 })).toMatchObject({
        evicted: [a1.connectionId],
      });
    });

    it('an eviction never takes the user offline, keeps the pages and records no outbox entry', async () => {
      const store = durable(ctx.store());
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      await store.setPage(a1, PAGE_B, true, T0);
      await store.addConnection(a2, T0 + 1, { maxConnections: 1 });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_B, latestPage: PAGE_B }]]),
      );
      expect(await store.claimOutbox(T0 + 10_000_000, 10)).toEqual([]);
    });

    it('rejects a bad maxConnections with invalid_input, writing nothing', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        await expect(store.addConnection(a, T0, { maxConnections: bad })).rejects.toMatchObject({
          code: 'invalid_input',
        });
      }
      expect(await store.userOfConnection(a.connectionId)).toBeUndefined();
    });
  });

  describe('detach with many connections', () => {
    it('keeps the user online through removes, sweeps, evictions and moves until the last one goes', async () => {
      const store = ctx.store();
      const refs = Array.from({ length: 60 }, () => conn(ALICE));
      for (const [i, ref] of refs.entries()) await store.addConnection(ref, T0 + (i % 20) * 10);
      // 20 removed one by one, 20 swept (the ones at T0..T0+90 left), one moved to bob, 9 evicted.
      for (const ref of refs.slice(0, 20)) {
        expect(removal(await store.removeConnection(ref.connectionId))).toEqual({
          userId: ALICE,
          userOffline: false,
        });
      }
      let swept = 0;
      for (let more = true; more; ) {
        const batch = await store.sweep(T0 + 100, 7);
        swept += batch.expired.length;
        expect(batch.offline).toEqual([]);
        more = batch.more;
      }
      expect(swept).toBe(20);
      const moved = refs.find((ref, i) => i >= 20 && i % 20 >= 10) as ConnectionRef;
      await store.touch({ userId: BOB, connectionId: moved.connectionId }, T0 + 500);
      const newest = conn(ALICE);
      const added = await store.addConnection(newest, T0 + 1_000, { maxConnections: 11 });
      expect(added.evicted).toHaveLength(9);
      const left = (await store.connectionsOf([ALICE])).get(ALICE) ?? [];
      expect(left).toHaveLength(11);
      for (const [i, id] of left.entries()) {
        const result = await store.removeConnection(id);
        expect(removal(result)).toEqual({ userId: ALICE, userOffline: i === left.length - 1 });
      }
      expect(await store.presenceOf([ALICE, BOB])).toEqual(
        new Map([[BOB, expect.objectContaining({ latestPage: null })]]),
      );
    });
  });

  describe('frame rate limit', () => {
    const limit: RateLimit = { perSecond: 1, burst: 3 };

    it('accepts a burst, then refuses until a token refills, changing nothing meanwhile', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      for (let i = 0; i < 3; i++) {
        expect(await store.touch(a, T0, { rateLimit: limit })).toEqual({ wasRegistered: true });
      }
      expect(await store.touch(a, T0 + 500, { rateLimit: limit })).toEqual({
        wasRegistered: true,
        rateLimited: true,
      });
      expect(await store.setPage(a, PAGE_A, true, T0 + 999, { rateLimit: limit })).toEqual({
        wasRegistered: true,
        rateLimited: true,
        latestPage: null,
      });
      // Refused frames changed nothing: neither the page nor last-seen (still T0).
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: { url: '', title: '' }, latestPage: null }]]),
      );
      expect(await store.connectionsOf([ALICE], T0 + 1)).toEqual(new Map());
      expect(await store.setPage(a, PAGE_A, true, T0 + 1_000, { rateLimit: limit })).toEqual({
        wasRegistered: true,
        latestPage: PAGE_A,
      });
      expect((await store.touch(a, T0 + 1_000, { rateLimit: limit })).rateLimited).toBe(true);
    });

    it('counts per connection, refills up to the burst only, and a new connection starts full', async () => {
      const store = ctx.store();
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      await store.addConnection(a1, T0);
      for (let i = 0; i < 3; i++) await store.touch(a1, T0, { rateLimit: limit });
      expect((await store.touch(a1, T0, { rateLimit: limit })).rateLimited).toBe(true);
      // Unknown to the store: registered with a full bucket.
      for (let i = 0; i < 3; i++) {
        expect((await store.touch(a2, T0, { rateLimit: limit })).rateLimited).toBeUndefined();
      }
      // A long quiet period refills to the burst, not beyond.
      const later = T0 + 3_600_000;
      for (let i = 0; i < 3; i++) await store.touch(a1, later, { rateLimit: limit });
      expect((await store.touch(a1, later, { rateLimit: limit })).rateLimited).toBe(true);
      // Without the option nothing is limited.
      expect(await store.touch(a1, later)).toEqual({ wasRegistered: true });
    });

    it('rejects a bad rateLimit with invalid_input', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      for (const bad of [
        { perSecond: 0, burst: 1 },
        { perSecond: 1, burst: 0.5 },
        { perSecond: Number.NaN, burst: 2 },
      ]) {
        await expect(store.touch(a, T0, { rateLimit: bad })).rejects.toMatchObject({
          code: 'invalid_input',
        });
      }
    });
  });

  describe('write deadline', () => {
    const backendNow = ctx.options.backendNow;
    if (backendNow === undefined) {
      it.skip('deadlines — skipped: no `backendNow` option was given', () => {});
      return;
    }

    it('a write the backend runs after its deadline throws store_unavailable and changes nothing', async () => {
      const store = ctx.store();
      const [a, b] = [conn(ALICE), conn(BOB)];
      await store.addConnection(b, T0);
      const deadline = backendNow() - 60_000;
      const writes = [
        () => store.addConnection(a, T0, { deadline }),
        () => store.touch(a, T0, { deadline }),
        () => store.setPage(a, PAGE_A, true, T0, { deadline }),
        () => store.touch(b, T0 + 5, { deadline }),
      ];
      for (const write of writes) {
        await expect(write()).rejects.toMatchObject({ code: 'store_unavailable' });
      }
      expect(await store.userOfConnection(a.connectionId)).toBeUndefined();
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
      expect(await store.connectionsOf([BOB], T0 + 1)).toEqual(new Map());
    });

    it('a markSweep run after its deadline throws store_unavailable and changes no marker', async () => {
      const store = durable(ctx.store());
      await store.markSweep(T0, 1_000);
      await expect(
        store.markSweep(T0 + 5_000, 1_000, { deadline: backendNow() - 60_000 }),
      ).rejects.toMatchObject({ code: 'store_unavailable' });
      // The refused call did not move the last sweep: the gap since T0 is still seen.
      for (const mark of await store.markSweep(T0 + 5_000, 1_000)) {
        expect(mark.gap).toEqual({ from: T0, to: T0 + 5_000 });
      }
    });

    it('a write run before its deadline lands', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      const deadline = backendNow() + 60_000;
      expect(await store.addConnection(a, T0, { deadline })).toEqual({
        wasRegistered: false,
        cameOnline: true,
      });
      expect(await store.setPage(a, PAGE_A, true, T0, { deadline })).toMatchObject({
        latestPage: PAGE_A,
      });
    });
  });
}
