import { describe, expect, it } from 'vitest';
import type { DurablePresenceStore, PartitionMark } from '../ports.js';
import { durable } from './outbox-suite.js';
import { openStore } from './store-handle.js';
import { ALICE, BOB, CAROL, conn, PAGE_A, type SuiteContext, T0 } from './suite-fixtures.js';

const GAP = 1_000;

/** Marks a fresh store once and, if the store reports data loss, finishes its reconcile. */
async function settled(store: DurablePresenceStore, now: number): Promise<PartitionMark[]> {
  const marks = await store.markSweep(now, GAP);
  await store.markReconciled(
    marks.map((m) => ({ partition: m.partition, epoch: m.epoch, next: store.partitions })),
  );
  return marks;
}

/** The sweep markers (outage and data-loss detection) and the last-seen retention. */
export function recoveryTests(ctx: SuiteContext): void {
  describe('sweep markers', () => {
    it('the first markSweep creates one marker per partition, lost only where data can be lost', async () => {
      const store = durable(ctx.store());
      expect(Number.isInteger(store.partitions) && store.partitions >= 1).toBe(true);
      for (const user of [ALICE, BOB, CAROL]) {
        const p = store.partitionOf(user);
        expect(p >= 0 && p < store.partitions && Number.isInteger(p)).toBe(true);
      }
      const marks = await store.markSweep(T0, GAP);
      expect(marks.map((m) => m.partition).sort((a, b) => a - b)).toEqual(
        Array.from({ length: store.partitions }, (_, i) => i),
      );
      const canLose = ctx.options.loseData !== undefined;
      for (const mark of marks) {
        expect(mark).toMatchObject({ epoch: T0, lost: canLose });
        if (canLose) {
          expect(mark.gap).toEqual({ from: T0, to: T0 });
          expect(mark.reconcileFrom).toBe(0);
        } else {
          expect(mark.gap).toBeUndefined();
          expect(mark.reconcileFrom).toBeUndefined();
        }
      }
      // Created once: the next call finds them.
      for (const mark of await store.markSweep(T0 + 1, GAP)) expect(mark.lost).toBe(false);
    });

    it('records a gap longer than gapMs and keeps it; the last sweep time never goes back', async () => {
      const store = durable(ctx.store());
      await settled(store, T0);
      const gapOf = async (now: number) => (await store.markSweep(now, GAP)).map((m) => m.gap);
      const before = await gapOf(T0 + GAP);
      const expectedBefore = ctx.options.loseData === undefined ? undefined : { from: T0, to: T0 };
      for (const gap of before) expect(gap).toEqual(expectedBefore);
      for (const gap of await gapOf(T0 + 3 * GAP + 1)) {
        expect(gap).toEqual({ from: T0 + GAP, to: T0 + 3 * GAP + 1 });
      }
      // An earlier caller clock does not move the last sweep back: no new gap at T0 + 3.5 GAP.
      await gapOf(T0 + 2 * GAP);
      for (const gap of await gapOf(T0 + 3.5 * GAP)) {
        expect(gap).toEqual({ from: T0 + GAP, to: T0 + 3 * GAP + 1 });
      }
    });

    it('after data loss the markers report it, with a reconcile that markReconciled moves and ends', async ({
      skip,
    }) => {
      const loseData = ctx.options.loseData;
      if (loseData === undefined) return skip('no `loseData` option: this store cannot lose data');
      const store = durable(ctx.store());
      await settled(store, T0);
      for (const mark of await store.markSweep(T0 + 1, GAP)) {
        expect(mark.reconcileFrom).toBeUndefined();
      }
      await loseData();
      const lost = await store.markSweep(T0 + 10, GAP);
      for (const mark of lost) {
        expect(mark).toMatchObject({ epoch: T0 + 10, lost: true, reconcileFrom: 0 });
        expect(mark.gap).toEqual({ from: T0 + 10, to: T0 + 10 });
      }
      const [first] = lost as [PartitionMark];
      await store.markReconciled([
        { partition: first.partition, epoch: first.epoch, next: 1 },
        // A stale epoch changes nothing.
        ...lost.slice(1).map((m) => ({ partition: m.partition, epoch: T0, next: 1 })),
      ]);
      const moved = await store.markSweep(T0 + 11, GAP);
      for (const mark of moved) {
        expect(mark.reconcileFrom).toBe(mark.partition === first.partition ? 1 : 0);
      }
      await store.markReconciled(
        moved.map((m) => ({ partition: m.partition, epoch: m.epoch, next: store.partitions })),
      );
      for (const mark of await store.markSweep(T0 + 12, GAP)) {
        expect(mark.reconcileFrom).toBeUndefined();
        expect(mark.lost).toBe(false);
      }
    });

    it('liveUsersIn lists each user with a connection seen since, once, in their partition only', async () => {
      const store = durable(ctx.store());
      const [a1, a2, b, c] = [conn(ALICE), conn(ALICE), conn(BOB), conn(CAROL)];
      await store.addConnection(a1, T0 + 10);
      await store.setPage(a2, PAGE_A, true, T0 + 20);
      await store.touch(b, T0 + 10);
      await store.touch(c, T0);
      const found: string[] = [];
      for (let p = 0; p < store.partitions; p++) {
        for (const user of await store.liveUsersIn(p, T0 + 10)) {
          expect(store.partitionOf(user)).toBe(p);
          found.push(user);
        }
      }
      expect(found.sort()).toEqual([ALICE, BOB].sort());
    });
  });

  describe('last seen', () => {
    it('keeps the last activity of users who went offline; online and unknown users are absent', async () => {
      const store = durable(ctx.store());
      const [a, b, c] = [conn(ALICE), conn(BOB), conn(CAROL)];
      await store.addConnection(a, T0);
      await store.touch(a, T0 + 40);
      await store.addConnection(b, T0 + 20);
      await store.addConnection(c, T0 + 30);
      await store.removeConnection(a.connectionId, { now: T0 + 50 });
      await store.sweep(T0 + 25, 10, { now: T0 + 60 });
      expect(await store.lastSeenOf([ALICE, BOB, CAROL, 'nobody'])).toEqual(
        new Map([
          [ALICE, T0 + 40],
          [BOB, T0 + 20],
        ]),
      );
      expect(await store.lastSeenOf([])).toEqual(new Map());
    });

    it('a user back online has none; going offline again stores the new one', async () => {
      const store = durable(ctx.store());
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      await store.addConnection(a1, T0);
      await store.removeConnection(a1.connectionId, { now: T0 + 1, userAction: true });
      expect(await store.lastSeenOf([ALICE])).toEqual(new Map([[ALICE, T0 + 1]]));
      await store.touch(a2, T0 + 100);
      expect(await store.lastSeenOf([ALICE])).toEqual(new Map());
      await store.removeConnection(a2.connectionId, { now: T0 + 200 });
      expect(await store.lastSeenOf([ALICE])).toEqual(new Map([[ALICE, T0 + 100]]));
    });

    it('presenceWithLastSeenOf answers presenceOf and lastSeenOf of the same ids in one read', async () => {
      const store = durable(ctx.store());
      const [a, b] = [conn(ALICE), conn(BOB)];
      await store.setPage(a, PAGE_A, true, T0);
      await store.addConnection(b, T0 + 10);
      await store.removeConnection(b.connectionId, { now: T0 + 20, userAction: true });
      const ids = [ALICE, BOB, CAROL, 'nobody', ALICE];
      expect(await store.presenceWithLastSeenOf(ids)).toEqual({
        online: new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
        lastSeen: new Map([[BOB, T0 + 20]]),
      });
      expect(await store.presenceWithLastSeenOf([])).toEqual({
        online: new Map(),
        lastSeen: new Map(),
      });
      expect(store.lastSeenRetentionMs).toBeGreaterThan(0);
    });

    it('expires after the retention', async ({ skip }) => {
      const expire = ctx.options.lastSeen?.expire;
      if (expire === undefined) return skip('no `lastSeen.expire` option was given');
      const store = durable(ctx.store());
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      await store.removeConnection(a.connectionId, { now: T0 });
      await expire();
      expect(await store.lastSeenOf([ALICE])).toEqual(new Map());
    });

    it('a retention of 0 keeps nothing', async ({ skip }) => {
      const makeStoreWith = ctx.options.makeStoreWith;
      if (makeStoreWith === undefined) return skip('no `makeStoreWith` option was given');
      const { store, dispose } = await openStore(() => makeStoreWith({ lastSeenRetentionMs: 0 }));
      try {
        const full = durable(store);
        const a = conn(ALICE);
        await full.addConnection(a, T0);
        const removed = await full.removeConnection(a.connectionId, { now: T0 });
        expect(removed?.userOffline).toBe(true);
        expect(await full.lastSeenOf([ALICE])).toEqual(new Map());
        expect(full.lastSeenRetentionMs).toBe(0);
        expect((await full.presenceWithLastSeenOf([ALICE])).lastSeen).toEqual(new Map());
      } finally {
        await dispose();
      }
    });
  });
}
