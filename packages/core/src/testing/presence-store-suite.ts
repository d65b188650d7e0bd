import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HIDDEN_PAGE } from '../model.js';
import type { PresenceStore, SweepBatch } from '../ports.js';
import { frameTests } from './frame-suite.js';
import { limitTests } from './limits-suite.js';
import { outboxTests } from './outbox-suite.js';
import { checkAgainstModel } from './presence-store-model.js';
import { recoveryTests } from './recovery-suite.js';
import { openStore, type PresenceStoreFactory } from './store-handle.js';
import {
  ALICE,
  BOB,
  CAROL,
  conn,
  DAVE,
  drain,
  expiredIds,
  LONG,
  PAGE_A,
  PAGE_B,
  PAGE_C,
  type PresenceStoreSuiteOptions,
  removal,
  type SuiteContext,
  sortedIds,
  T0,
} from './suite-fixtures.js';

function connectionTests(ctx: SuiteContext): void {
  describe('connections', () => {
    it('addConnection registers a new user online with a hidden page and no latest page', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      expect(await store.addConnection(c, T0)).toEqual({ wasRegistered: false, cameOnline: true });
      expect(await store.userOfConnection(c.connectionId)).toBe(ALICE);
      expect(await store.connectionsOf([ALICE])).toEqual(new Map([[ALICE, [c.connectionId]]]));
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });

    it('addConnection is idempotent: a second add reports wasRegistered and keeps the pages', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.addConnection(c, T0);
      await store.setPage(c, PAGE_A, true, T0 + 1);
      expect(await store.addConnection(c, T0 + 2)).toEqual({ wasRegistered: true });
      expect(await store.connectionsOf([ALICE])).toEqual(new Map([[ALICE, [c.connectionId]]]));
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
    });

    it('removeConnection is idempotent: the second remove returns undefined', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.addConnection(c, T0);
      expect(removal(await store.removeConnection(c.connectionId))).toEqual({
        userId: ALICE,
        userOffline: true,
      });
      expect(await store.removeConnection(c.connectionId)).toBeUndefined();
      expect(await store.userOfConnection(c.connectionId)).toBeUndefined();
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
    });

    it('removeConnection of an unknown connection returns undefined and changes nothing', async () => {
      const store = ctx.store();
      const c = conn(BOB);
      await store.setPage(c, PAGE_A, true, T0);
      expect(await store.removeConnection('bm9ib2R5=')).toBeUndefined();
      expect(await store.userOfConnection(c.connectionId)).toBe(BOB);
      expect(await store.presenceOf([BOB])).toEqual(
        new Map([[BOB, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
    });

    it('userOfConnection of an unknown connection is undefined', async () => {
      const store = ctx.store();
      await store.addConnection(conn(ALICE), T0);
      expect(await store.userOfConnection('bm9ib2R5=')).toBeUndefined();
    });

    it('keeps user ids with quotes, braces, colons, Unicode and 128 characters apart', async () => {
      const store = ctx.store();
      const users = [ALICE, BOB, CAROL, DAVE, LONG, '{alice}', 'alice:'];
      const refs = users.map((u) => conn(u));
      for (const [i, ref] of refs.entries()) {
        await store.setPage(
          ref,
          { url: `https://e${i}.example.com/`, title: users[i] ?? '' },
          true,
          T0,
        );
      }
      for (const [i, ref] of refs.entries()) {
        expect(await store.userOfConnection(ref.connectionId)).toBe(users[i]);
      }
      const presence = await store.presenceOf(users);
      const connections = await store.connectionsOf(users);
      expect(presence.size).toBe(users.length);
      for (const [i, user] of users.entries()) {
        const page = { url: `https://e${i}.example.com/`, title: user };
        expect(presence.get(user)).toEqual({ page, latestPage: page });
        expect(connections.get(user)).toEqual([refs[i]?.connectionId]);
      }
    });
  });
}

function multiConnectionTests(ctx: SuiteContext): void {
  describe('several connections per user', () => {
    it('a user stays online while any connection is live; the last one takes them offline', async () => {
      const store = ctx.store();
      const c1 = conn(ALICE);
      const c2 = conn(ALICE);
      await store.addConnection(c1, T0);
      expect(await store.addConnection(c2, T0 + 1)).toEqual({ wasRegistered: false });
      await store.setPage(c2, PAGE_A, true, T0 + 2);
      expect(sortedIds((await store.connectionsOf([ALICE])).get(ALICE))).toEqual(
        sortedIds([c1.connectionId, c2.connectionId]),
      );

      expect(await store.removeConnection(c1.connectionId)).toEqual({
        userId: ALICE,
        userOffline: false,
      });
      expect(await store.connectionsOf([ALICE])).toEqual(new Map([[ALICE, [c2.connectionId]]]));
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );

      expect(removal(await store.removeConnection(c2.connectionId))).toEqual({
        userId: ALICE,
        userOffline: true,
      });
      expect(await store.connectionsOf([ALICE])).toEqual(new Map());
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
    });

    it('a user who comes back after going offline starts hidden with no latest page', async () => {
      const store = ctx.store();
      const c1 = conn(ALICE);
      await store.setPage(c1, PAGE_A, true, T0);
      await store.setPage(c1, PAGE_B, false, T0 + 1);
      await store.removeConnection(c1.connectionId);
      const c2 = conn(ALICE);
      expect(await store.addConnection(c2, T0 + 2)).toEqual({
        wasRegistered: false,
        cameOnline: true,
      });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });

    it("removing one user's connections leaves other users untouched", async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      const b = conn(BOB);
      await store.setPage(a, PAGE_A, true, T0);
      await store.setPage(b, PAGE_B, true, T0);
      await store.removeConnection(a.connectionId);
      expect(await store.presenceOf([ALICE, BOB])).toEqual(
        new Map([[BOB, { page: PAGE_B, latestPage: PAGE_B }]]),
      );
      expect(await store.connectionsOf([ALICE, BOB])).toEqual(new Map([[BOB, [b.connectionId]]]));
    });
  });
}

function upsertTests(ctx: SuiteContext): void {
  describe('touch and setPage upsert', () => {
    it('touch of a known connection reports wasRegistered: true', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.addConnection(c, T0);
      expect(await store.touch(c, T0 + 60_000)).toEqual({ wasRegistered: true });
    });

    it('touch of an unknown connection registers it (wasRegistered: false) and the user is online', async () => {
      const store = ctx.store();
      const c = conn(BOB);
      expect(await store.touch(c, T0)).toEqual({ wasRegistered: false, cameOnline: true });
      expect(await store.userOfConnection(c.connectionId)).toBe(BOB);
      expect(await store.connectionsOf([BOB])).toEqual(new Map([[BOB, [c.connectionId]]]));
      expect(await store.presenceOf([BOB])).toEqual(
        new Map([[BOB, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
      expect(await store.touch(c, T0 + 1)).toEqual({ wasRegistered: true });
    });

    it('setPage of an unknown connection registers it and stores the page', async () => {
      const store = ctx.store();
      const c = conn(CAROL);
      expect(await store.setPage(c, PAGE_B, true, T0)).toEqual({
        wasRegistered: false,
        cameOnline: true,
        latestPage: PAGE_B,
      });
      expect(await store.userOfConnection(c.connectionId)).toBe(CAROL);
      expect(await store.presenceOf([CAROL])).toEqual(
        new Map([[CAROL, { page: PAGE_B, latestPage: PAGE_B }]]),
      );
    });

    it('re-registering a lost connection of a user who is still online keeps their pages', async () => {
      const store = ctx.store();
      const c1 = conn(ALICE);
      const c2 = conn(ALICE);
      await store.addConnection(c1, T0);
      await store.addConnection(c2, T0);
      await store.setPage(c1, PAGE_A, true, T0 + 1);
      await store.removeConnection(c2.connectionId);
      expect(await store.touch(c2, T0 + 2)).toEqual({ wasRegistered: false });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
      expect(sortedIds((await store.connectionsOf([ALICE])).get(ALICE))).toEqual(
        sortedIds([c1.connectionId, c2.connectionId]),
      );
    });

    it('a heartbeat after a sweep removed the connection brings the user back online', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.setPage(c, PAGE_A, true, T0);
      const batch = await store.sweep(T0 + 1, 100);
      expect(batch.offline).toEqual([ALICE]);
      expect(await store.touch(c, T0 + 2)).toEqual({ wasRegistered: false, cameOnline: true });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
      expect(expiredIds(await store.sweep(T0 + 2, 100))).toEqual([]);
    });
  });
}

function pageTests(ctx: SuiteContext): void {
  describe('pages', () => {
    it('a hidden page never becomes the latest page, even when marked shared', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.addConnection(c, T0);
      expect(await store.setPage(c, HIDDEN_PAGE, true, T0 + 1)).toEqual({
        wasRegistered: true,
        latestPage: null,
      });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });

    it('each shared page moves the latest page', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      expect((await store.setPage(c, PAGE_A, true, T0)).latestPage).toEqual(PAGE_A);
      expect((await store.setPage(c, PAGE_B, true, T0 + 1)).latestPage).toEqual(PAGE_B);
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_B, latestPage: PAGE_B }]]),
      );
    });

    it('the latest page survives a later hidden page', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.setPage(c, PAGE_A, true, T0);
      expect((await store.setPage(c, HIDDEN_PAGE, true, T0 + 1)).latestPage).toEqual(PAGE_A);
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: PAGE_A }]]),
      );
    });

    it('a page stored with shared: false becomes current but does not move the latest page', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      expect((await store.setPage(c, PAGE_C, false, T0)).latestPage).toBeNull();
      await store.setPage(c, PAGE_A, true, T0 + 1);
      expect((await store.setPage(c, PAGE_B, false, T0 + 2)).latestPage).toEqual(PAGE_A);
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_B, latestPage: PAGE_A }]]),
      );
    });

    it('pages belong to the user: any of their connections moves them', async () => {
      const store = ctx.store();
      const c1 = conn(ALICE);
      const c2 = conn(ALICE);
      await store.setPage(c1, PAGE_A, true, T0);
      expect(await store.setPage(c2, PAGE_B, true, T0 + 1)).toEqual({
        wasRegistered: false,
        latestPage: PAGE_B,
      });
      await store.setPage(c1, HIDDEN_PAGE, false, T0 + 2);
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: PAGE_B }]]),
      );
    });

    it('pages are per user: sharing does not leak between users', async () => {
      const store = ctx.store();
      await store.setPage(conn(ALICE), PAGE_A, true, T0);
      await store.addConnection(conn(BOB), T0);
      expect(await store.presenceOf([ALICE, BOB])).toEqual(
        new Map([
          [ALICE, { page: PAGE_A, latestPage: PAGE_A }],
          [BOB, { page: HIDDEN_PAGE, latestPage: null }],
        ]),
      );
    });

    it('page and latest page are gone when the user goes offline', async () => {
      const store = ctx.store();
      const c = conn(ALICE);
      await store.setPage(c, PAGE_A, true, T0);
      await store.setPage(c, PAGE_B, false, T0 + 1);
      await store.removeConnection(c.connectionId);
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
      expect(await store.setPage(c, HIDDEN_PAGE, true, T0 + 2)).toEqual({
        wasRegistered: false,
        cameOnline: true,
        latestPage: null,
      });
    });
  });
}

function batchReadTests(ctx: SuiteContext): void {
  describe('batch reads', () => {
    it('an empty list gives an empty map', async () => {
      const store = ctx.store();
      await store.addConnection(conn(ALICE), T0);
      expect(await store.connectionsOf([])).toEqual(new Map());
      expect(await store.presenceOf([])).toEqual(new Map());
    });

    it('unknown and offline users are absent; known users are present', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      const b = conn(BOB);
      const gone = conn(CAROL);
      await store.setPage(a, PAGE_A, true, T0);
      await store.addConnection(b, T0);
      await store.addConnection(gone, T0);
      await store.removeConnection(gone.connectionId);
      const ids = ['nobody', ALICE, CAROL, BOB, '{nobody}'];
      expect(await store.presenceOf(ids)).toEqual(
        new Map([
          [ALICE, { page: PAGE_A, latestPage: PAGE_A }],
          [BOB, { page: HIDDEN_PAGE, latestPage: null }],
        ]),
      );
      expect(await store.connectionsOf(ids)).toEqual(
        new Map([
          [ALICE, [a.connectionId]],
          [BOB, [b.connectionId]],
        ]),
      );
      expect(await store.presenceOf(['nobody'])).toEqual(new Map());
      expect(await store.connectionsOf(['nobody'])).toEqual(new Map());
    });

    it('a repeated id gives the same entry as a single one', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.setPage(a, PAGE_A, true, T0);
      expect(await store.presenceOf([ALICE, ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
      expect(await store.connectionsOf([ALICE, ALICE])).toEqual(
        new Map([[ALICE, [a.connectionId]]]),
      );
    });

    it('connectionsOf lists every live connection of each user', async () => {
      const store = ctx.store();
      const alice = [conn(ALICE), conn(ALICE), conn(ALICE)];
      const bob = [conn(BOB), conn(BOB)];
      for (const c of [...alice, ...bob]) await store.addConnection(c, T0);
      await store.removeConnection(alice[1]?.connectionId ?? '');
      const result = await store.connectionsOf([ALICE, BOB]);
      expect(sortedIds(result.get(ALICE))).toEqual(
        sortedIds([alice[0]?.connectionId ?? '', alice[2]?.connectionId ?? '']),
      );
      expect(sortedIds(result.get(BOB))).toEqual(sortedIds(bob.map((c) => c.connectionId)));
    });

    it('connectionsOf with seenSince keeps only connections last seen at or after it', async () => {
      const store = ctx.store();
      const [a1, a2, b] = [conn(ALICE), conn(ALICE), conn(BOB)];
      await store.addConnection(a1, T0);
      await store.setPage(a2, PAGE_A, true, T0 + 10);
      await store.touch(b, T0 + 5);
      expect(await store.connectionsOf([ALICE, BOB], T0 + 5)).toEqual(
        new Map([
          [ALICE, [a2.connectionId]],
          [BOB, [b.connectionId]],
        ]),
      );
      // A user whose connections are all older is left out, as if offline.
      expect(await store.connectionsOf([ALICE, BOB], T0 + 6)).toEqual(
        new Map([[ALICE, [a2.connectionId]]]),
      );
      expect(await store.connectionsOf([ALICE, BOB], T0 + 11)).toEqual(new Map());
      // A touch moves a connection back in; without seenSince every connection is listed.
      await store.touch(a1, T0 + 20);
      expect(await store.connectionsOf([ALICE], T0 + 11)).toEqual(
        new Map([[ALICE, [a1.connectionId]]]),
      );
      expect(sortedIds((await store.connectionsOf([ALICE])).get(ALICE))).toEqual(
        sortedIds([a1.connectionId, a2.connectionId]),
      );
    });

    it('connectionsOf rejects a seenSince that is not a finite number, changing nothing', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
        await expect(store.connectionsOf([ALICE], bad)).rejects.toMatchObject({
          code: 'invalid_input',
        });
      }
      expect(await store.connectionsOf([ALICE], T0)).toEqual(new Map([[ALICE, [a.connectionId]]]));
    });
  });
}

function liveUsersTests(ctx: SuiteContext): void {
  describe('liveUsers (optional)', () => {
    it('lists each user with a connection seen at or after seenSince once, or undefined past the limit', async ({
      skip,
    }) => {
      const store = ctx.store();
      if (store.liveUsers === undefined) return skip('this store does not implement liveUsers');
      const [a1, a2, b, c] = [conn(ALICE), conn(ALICE), conn(BOB), conn(CAROL)];
      await store.addConnection(a1, T0 + 10);
      await store.setPage(a2, PAGE_A, true, T0 + 20);
      await store.touch(b, T0 + 10);
      await store.touch(c, T0);
      expect((await store.liveUsers(T0 + 10, 10))?.sort()).toEqual([ALICE, BOB].sort());
      expect(await store.liveUsers(T0 + 20, 10)).toEqual([ALICE]);
      expect(await store.liveUsers(T0 + 21, 10)).toEqual([]);
      // Three connections are live at T0 + 10: a limit of 2 gives up, 3 answers.
      expect(await store.liveUsers(T0 + 10, 2)).toBeUndefined();
      expect(await store.liveUsers(T0 + 10, 3)).toHaveLength(2);
      await store.removeConnection(b.connectionId);
      expect(await store.liveUsers(T0 + 10, 10)).toEqual([ALICE]);
    });

    it('rejects a bad seenSince or limit with invalid_input', async ({ skip }) => {
      const store = ctx.store();
      if (store.liveUsers === undefined) return skip('this store does not implement liveUsers');
      await expect(store.liveUsers(Number.NaN, 10)).rejects.toMatchObject({
        code: 'invalid_input',
      });
      await expect(store.liveUsers(T0, -1)).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(store.liveUsers(T0, 1.5)).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });
}

function sweepTests(ctx: SuiteContext): void {
  describe('sweep', () => {
    it('an empty store sweeps to nothing', async () => {
      expect(await ctx.store().sweep(T0, 100)).toMatchObject({
        expired: [],
        offline: [],
        more: false,
      });
    });

    it('removes last-seen strictly before the cutoff: cutoff - 1 goes, cutoff and cutoff + 1 stay', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const before = conn(ALICE);
      const at = conn(BOB);
      const after = conn(CAROL);
      await store.addConnection(before, cutoff - 1);
      await store.addConnection(at, cutoff);
      await store.addConnection(after, cutoff + 1);
      const batch = await store.sweep(cutoff, 100);
      expect(batch.expired).toEqual([before]);
      expect(batch.offline).toEqual([ALICE]);
      expect(batch.more).toBe(false);
      expect(await store.userOfConnection(before.connectionId)).toBeUndefined();
      expect(await store.userOfConnection(at.connectionId)).toBe(BOB);
      expect(await store.userOfConnection(after.connectionId)).toBe(CAROL);
      expect((await store.sweep(cutoff, 100)).expired).toEqual([]);
    });

    it('touch, setPage and a repeated add all move last-seen forward', async () => {
      const store = ctx.store();
      const touched = conn(ALICE);
      const paged = conn(BOB);
      const readded = conn(CAROL);
      const idle = conn(DAVE);
      for (const c of [touched, paged, readded, idle]) await store.addConnection(c, T0);
      await store.touch(touched, T0 + 100);
      await store.setPage(paged, PAGE_A, true, T0 + 100);
      await store.addConnection(readded, T0 + 100);
      const batch = await store.sweep(T0 + 100, 100);
      expect(batch.expired).toEqual([idle]);
      expect(batch.offline).toEqual([DAVE]);
    });

    it('reports a user offline only when all their connections expired, and removes their pages', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const aliceStale = conn(ALICE);
      const aliceLive = conn(ALICE);
      const bobStale = [conn(BOB), conn(BOB)];
      const carolStale = conn(CAROL);
      await store.setPage(aliceStale, PAGE_A, true, T0);
      await store.touch(aliceLive, cutoff);
      for (const c of bobStale) await store.setPage(c, PAGE_B, true, T0);
      await store.setPage(carolStale, PAGE_C, true, T0 + 5);
      const batch = await store.sweep(cutoff, 100);
      expect(expiredIds(batch)).toEqual(
        sortedIds([aliceStale, ...bobStale, carolStale].map((c) => c.connectionId)),
      );
      const owners = new Map(
        [aliceStale, ...bobStale, carolStale].map((c) => [c.connectionId, c.userId]),
      );
      for (const ref of batch.expired) expect(ref.userId).toBe(owners.get(ref.connectionId));
      expect([...batch.offline].sort()).toEqual([BOB, CAROL].sort());
      expect(await store.presenceOf([ALICE, BOB, CAROL])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
      expect(await store.connectionsOf([ALICE, BOB, CAROL])).toEqual(
        new Map([[ALICE, [aliceLive.connectionId]]]),
      );
    });

    it('sweeps in batches of limit: more is true until every stale connection is gone', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const stale = [ALICE, ALICE, ALICE, BOB, BOB, CAROL, DAVE].map((u) => conn(u));
      const live = [conn(ALICE), conn(LONG)];
      for (const [i, c] of stale.entries()) await store.addConnection(c, T0 + i);
      for (const c of live) await store.addConnection(c, cutoff);

      const first = await store.sweep(cutoff, 3);
      if (!ctx.options.sweepLimitIsApproximate) {
        expect(first.expired).toHaveLength(3);
        expect(first.more).toBe(true);
      }
      const batches = [first, ...(first.more ? await drain(store, cutoff, 3) : [])];
      for (const batch of batches.slice(0, -1)) expect(batch.more).toBe(true);
      if (!ctx.options.sweepLimitIsApproximate) {
        for (const batch of batches) expect(batch.expired.length).toBeLessThanOrEqual(3);
      }
      const all = batches.flatMap((b) => b.expired.map((r) => r.connectionId));
      expect([...all].sort()).toEqual(sortedIds(stale.map((c) => c.connectionId)));
      const offline = batches.flatMap((b) => b.offline);
      expect([...offline].sort()).toEqual([BOB, CAROL, DAVE].sort());
      expect((await store.sweep(cutoff, 3)).expired).toEqual([]);
      expect(sortedIds([...(await store.connectionsOf([ALICE, LONG])).values()].flat())).toEqual(
        sortedIds(live.map((c) => c.connectionId)),
      );
    });

    it('a user whose stale connections span batches goes offline in the batch that removes the last one', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const refs = [conn(ALICE), conn(ALICE), conn(ALICE)];
      for (const c of refs) await store.addConnection(c, T0);
      const batches = await drain(store, cutoff, 1);
      const removed = new Set<string>();
      for (const batch of batches) {
        for (const r of batch.expired) removed.add(r.connectionId);
        const expectOffline = removed.size === refs.length && batch.expired.length > 0;
        expect(batch.offline).toEqual(expectOffline ? [ALICE] : []);
      }
      expect(removed.size).toBe(3);
    });
  });
}

function raceTests(ctx: SuiteContext): void {
  describe('sweep races', () => {
    it('a touch at the cutoff racing a sweep is never lost, in either order', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      for (const touchFirst of [true, false]) {
        const c = conn(ALICE);
        await store.addConnection(c, T0);
        let touch: Promise<{ wasRegistered: boolean }>;
        let sweep: Promise<SweepBatch>;
        if (touchFirst) {
          touch = store.touch(c, cutoff);
          sweep = store.sweep(cutoff, 100);
        } else {
          sweep = store.sweep(cutoff, 100);
          touch = store.touch(c, cutoff);
        }
        const [touched, batch] = await Promise.all([touch, sweep]);
        const swept = batch.expired.some((r) => r.connectionId === c.connectionId);
        expect(swept).toBe(!touched.wasRegistered);
        expect(await store.userOfConnection(c.connectionId)).toBe(ALICE);
        expect((await store.sweep(cutoff, 100)).expired).toEqual([]);
        await store.removeConnection(c.connectionId);
      }
    });

    it("concurrent removes of a user's last connections report the user offline exactly once", async () => {
      const store = ctx.store();
      const refs = [conn(ALICE), conn(ALICE), conn(ALICE)];
      for (const c of refs) await store.setPage(c, PAGE_A, true, T0);
      const results = await Promise.all([
        ...refs.map((c) => store.removeConnection(c.connectionId)),
        store.removeConnection(refs[0]?.connectionId ?? ''),
      ]);
      const removed = results.filter((r) => r !== undefined);
      expect(removed).toHaveLength(3);
      expect(removed.filter((r) => r.userOffline).map(removal)).toEqual([
        { userId: ALICE, userOffline: true },
      ]);
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
    });

    it('concurrent sweeps and removes hand each connection to exactly one of them', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const users = [ALICE, BOB, CAROL];
      const refs = users.flatMap((u) => [conn(u), conn(u), conn(u)]);
      for (const c of refs) await store.addConnection(c, T0);
      const removals = refs.filter((_, i) => i % 3 === 0);
      const [batches, removed] = await Promise.all([
        Promise.all([store.sweep(cutoff, 2), store.sweep(cutoff, 2), store.sweep(cutoff, 100)]),
        Promise.all(removals.map((c) => store.removeConnection(c.connectionId))),
      ]);
      batches.push(...(await drain(store, cutoff, 100)));
      const swept = batches.flatMap((b) => b.expired.map((r) => r.connectionId));
      const removedIds = removals
        .filter((_, i) => removed[i] !== undefined)
        .map((c) => c.connectionId);
      expect([...swept, ...removedIds].sort()).toEqual(sortedIds(refs.map((c) => c.connectionId)));
      const offlineReports = [
        ...batches.flatMap((b) => b.offline),
        ...removed.filter((r) => r?.userOffline).map((r) => r?.userId),
      ];
      expect(offlineReports.sort()).toEqual([...users].sort());
      expect(await store.connectionsOf(users)).toEqual(new Map());
    });

    it('touches and page updates interleaved with concurrent sweeps survive; idle connections do not', async () => {
      const store = ctx.store();
      const cutoff = T0 + 180_000;
      const users = [ALICE, BOB, CAROL, DAVE, LONG];
      const refs = users.flatMap((u) => [conn(u), conn(u)]);
      for (const c of refs) await store.setPage(c, PAGE_A, true, T0);
      const active = refs.filter((_, i) => i % 2 === 0);
      const idle = refs.filter((_, i) => i % 2 === 1);

      const sweeps: Array<Promise<SweepBatch>> = [];
      const writes: Array<Promise<{ wasRegistered: boolean }>> = [];
      for (const [i, c] of active.entries()) {
        sweeps.push(store.sweep(cutoff, 2));
        writes.push(
          i % 2 === 0 ? store.touch(c, cutoff) : store.setPage(c, PAGE_B, true, cutoff + i),
        );
      }
      sweeps.push(store.sweep(cutoff, 2));
      const [batches, results] = await Promise.all([Promise.all(sweeps), Promise.all(writes)]);
      batches.push(...(await drain(store, cutoff, 100)));

      const expired = batches.flatMap((b) => b.expired.map((r) => r.connectionId));
      expect(new Set(expired).size).toBe(expired.length);
      for (const [i, c] of active.entries()) {
        expect(expired.includes(c.connectionId)).toBe(!results[i]?.wasRegistered);
        expect(await store.userOfConnection(c.connectionId)).toBe(c.userId);
      }
      for (const c of idle) {
        expect(expired).toContain(c.connectionId);
        expect(await store.userOfConnection(c.connectionId)).toBeUndefined();
      }
      const connections = await store.connectionsOf(users);
      expect(sortedIds([...connections.values()].flat())).toEqual(
        sortedIds(active.map((c) => c.connectionId)),
      );
      expect((await store.presenceOf(users)).size).toBe(users.length);
    });
  });
}

function ttlTests(ctx: SuiteContext): void {
  const ttl = ctx.options.ttl;
  if (ttl === undefined) {
    it.skip('TTL: keys expire without a sweep — skipped: no `ttl.expire` option was given', () => {});
    return;
  }
  describe('TTL safety net', () => {
    it('every key of an idle connection expires on its own, and a later heartbeat recovers', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      const b = conn(BOB);
      await store.setPage(a, PAGE_A, true, T0);
      await store.addConnection(b, T0);
      await ttl.expire();
      expect(await store.userOfConnection(a.connectionId)).toBeUndefined();
      expect(await store.connectionsOf([ALICE, BOB])).toEqual(new Map());
      expect(await store.presenceOf([ALICE, BOB])).toEqual(new Map());
      expect(await store.removeConnection(b.connectionId)).toBeUndefined();
      expect(await store.touch(a, T0 + 600_000)).toEqual({
        wasRegistered: false,
        cameOnline: true,
      });
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });
  });
}

function modelTests(ctx: SuiteContext): void {
  const numRuns = ctx.options.modelRuns ?? 60;
  if (numRuns <= 0) {
    it.skip('model-based random sequences — skipped: modelRuns is 0', () => {});
    return;
  }
  it(
    `matches the reference model on ${numRuns} random sequences of add/remove/touch/setPage/sweep/claim/ack`,
    async () => {
      await checkAgainstModel(ctx.makeStore, {
        numRuns,
        maxOps: ctx.options.modelMaxOps ?? 20,
        sweepLimitIsApproximate: ctx.options.sweepLimitIsApproximate ?? false,
        outboxLeaseMs: ctx.options.outboxLeaseMs ?? 30_000,
        ...(ctx.options.modelSeed === undefined ? {} : { seed: ctx.options.modelSeed }),
      });
    },
    ctx.options.modelTimeoutMs ?? 60_000,
  );
}

/**
 * Registers the {@link PresenceStore} conformance suite with vitest: a fresh store from `makeStore`
 * for every test, disposed of after it. Call it at the top level of an adapter's test file.
 * @example
 * describePresenceStore('memory', async () => new MemoryPresenceStore());
 */
export function describePresenceStore(
  name: string,
  makeStore: PresenceStoreFactory,
  options: PresenceStoreSuiteOptions = {},
): void {
  describe(`PresenceStore conformance: ${name}`, () => {
    let current: { store: PresenceStore; dispose: () => Promise<void> } | undefined;
    beforeEach(async () => {
      current = await openStore(makeStore);
    });
    afterEach(async () => {
      const opened = current;
      current = undefined;
      await opened?.dispose();
    });
    const ctx: SuiteContext = {
      store: () => {
        if (current === undefined) throw new Error('the store is only available inside a test');
        return current.store;
      },
      makeStore,
      options,
    };
    connectionTests(ctx);
    multiConnectionTests(ctx);
    upsertTests(ctx);
    pageTests(ctx);
    batchReadTests(ctx);
    liveUsersTests(ctx);
    sweepTests(ctx);
    raceTests(ctx);
    ttlTests(ctx);
    outboxTests(ctx);
    limitTests(ctx);
    frameTests(ctx);
    recoveryTests(ctx);
    modelTests(ctx);
  });
}
