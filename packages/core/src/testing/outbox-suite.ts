import { describe, expect, it } from 'vitest';
import {
  type DurablePresenceStore,
  isLastSeenSource,
  isOfflineOutbox,
  isSweepMarkers,
  type OutboxEntry,
  type PresenceStore,
} from '../ports.js';
import { ALICE, BOB, CAROL, conn, DAVE, PAGE_A, type SuiteContext, T0 } from './suite-fixtures.js';

/** The store as a durable one; fails the test when it lacks the outbox, markers or last-seen. */
export function durable(store: PresenceStore): DurablePresenceStore {
  const full = store as Partial<DurablePresenceStore>;
  expect(isOfflineOutbox(store), 'implements OfflineOutbox').toBe(true);
  expect(isSweepMarkers(store), 'implements SweepMarkers').toBe(true);
  expect(isLastSeenSource(store), 'implements LastSeenSource').toBe(true);
  return store as DurablePresenceStore;
}

const users = (entries: readonly OutboxEntry[]) => entries.map((e) => e.userId).sort();
const withoutClaim = (entries: readonly OutboxEntry[]) =>
  entries
    .map(({ userId, lastActivity }) => ({ userId, lastActivity }))
    .sort((a, b) => (a.userId < b.userId ? -1 : 1));

/** The outbox group: recorded with the offline step, claimed with leases, acknowledged by claim. */
export function outboxTests(ctx: SuiteContext): void {
  const lease = ctx.options.outboxLeaseMs ?? 30_000;
  const ttl = ctx.options.outboxTtlMs ?? 3_600_000;

  describe('offline outbox', () => {
    it('the last removal records one entry with the last activity, claimable once its lease is over', async () => {
      const store = durable(ctx.store());
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      await store.addConnection(a1, T0);
      await store.addConnection(a2, T0 + 10);
      await store.touch(a1, T0 + 50);
      const first = await store.removeConnection(a2.connectionId, { now: T0 + 100 });
      expect(first).toEqual({ userId: ALICE, userOffline: false });
      const last = await store.removeConnection(a1.connectionId, { now: T0 + 200 });
      expect(last?.announcement).toMatchObject({ userId: ALICE, lastActivity: T0 + 50 });
      expect(typeof last?.announcement?.claim).toBe('string');

      expect(await store.claimOutbox(T0 + 200 + lease - 1, 10)).toEqual([]);
      const claimed = await store.claimOutbox(T0 + 200 + lease, 10);
      expect(withoutClaim(claimed)).toEqual([{ userId: ALICE, lastActivity: T0 + 50 }]);
      expect(claimed[0]?.claim).not.toBe(last?.announcement?.claim);
      // Claimed: leased again, then handed out once more with yet another claim.
      expect(await store.claimOutbox(T0 + 200 + lease, 10)).toEqual([]);
      const again = await store.claimOutbox(T0 + 200 + 2 * lease, 10);
      expect(users(again)).toEqual([ALICE]);
      expect(again[0]?.claim).not.toBe(claimed[0]?.claim);
    });

    it('a $disconnect (userAction) counts as activity at its now; a gone connection does not', async () => {
      const store = durable(ctx.store());
      const [a, b] = [conn(ALICE), conn(BOB)];
      await store.addConnection(a, T0);
      await store.addConnection(b, T0);
      const byUser = await store.removeConnection(a.connectionId, {
        now: T0 + 500,
        userAction: true,
      });
      const gone = await store.removeConnection(b.connectionId, { now: T0 + 500 });
      expect(byUser?.announcement?.lastActivity).toBe(T0 + 500);
      expect(gone?.announcement?.lastActivity).toBe(T0);
    });

    it('the sweep records an entry per offline user with their last activity, not the sweep time', async () => {
      const store = durable(ctx.store());
      const [a1, a2, b, c] = [conn(ALICE), conn(ALICE), conn(BOB), conn(CAROL)];
      await store.addConnection(a1, T0 + 10);
      await store.setPage(a2, PAGE_A, true, T0 + 30);
      await store.touch(b, T0 + 20);
      await store.touch(c, T0 + 5_000);
      const batch = await store.sweep(T0 + 1_000, 100, { now: T0 + 4_000 });
      expect([...batch.offline].sort()).toEqual([ALICE, BOB].sort());
      expect(withoutClaim(batch.announcements ?? [])).toEqual(
        withoutClaim([
          { userId: ALICE, lastActivity: T0 + 30, claim: '' },
          { userId: BOB, lastActivity: T0 + 20, claim: '' },
        ]),
      );
      expect(await store.claimOutbox(T0 + 4_000 + lease - 1, 10)).toEqual([]);
      expect(users(await store.claimOutbox(T0 + 4_000 + lease, 10))).toEqual([ALICE, BOB].sort());
    });

    it('ackOutbox deletes an entry only while it carries the given claim', async () => {
      const store = durable(ctx.store());
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      const recorded = (await store.removeConnection(a.connectionId, { now: T0 }))?.announcement;
      const claimed = await store.claimOutbox(T0 + lease, 10);
      expect(await store.ackOutbox(recorded === undefined ? [] : [recorded])).toBe(0);
      expect(await store.ackOutbox(claimed)).toBe(1);
      expect(await store.ackOutbox(claimed)).toBe(0);
      expect(await store.claimOutbox(T0 + 10 * lease, 10)).toEqual([]);
    });

    it('an entry recorded anew survives the acknowledgement of the old one', async () => {
      const store = durable(ctx.store());
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      await store.addConnection(a1, T0);
      const old = (await store.removeConnection(a1.connectionId, { now: T0 + 1 }))?.announcement;
      await store.addConnection(a2, T0 + 2);
      const fresh = (await store.removeConnection(a2.connectionId, { now: T0 + 3 }))?.announcement;
      expect(fresh?.claim).not.toBe(old?.claim);
      expect(await store.ackOutbox(old === undefined ? [] : [old])).toBe(0);
      expect(withoutClaim(await store.claimOutbox(T0 + 3 + lease, 10))).toEqual([
        { userId: ALICE, lastActivity: T0 + 2 },
      ]);
    });

    it.each([
      [
        'addConnection',
        (s: DurablePresenceStore, r: ReturnType<typeof conn>) => s.addConnection(r, T0 + 5),
      ],
      ['touch', (s: DurablePresenceStore, r: ReturnType<typeof conn>) => s.touch(r, T0 + 5)],
      [
        'setPage',
        (s: DurablePresenceStore, r: ReturnType<typeof conn>) => s.setPage(r, PAGE_A, true, T0 + 5),
      ],
    ])(
      'coming back online by %s deletes the pending entry, and no one else’s',
      async (_name, back) => {
        const store = durable(ctx.store());
        const [a, b] = [conn(ALICE), conn(BOB)];
        await store.addConnection(a, T0);
        await store.addConnection(b, T0);
        await store.removeConnection(a.connectionId, { now: T0 + 1 });
        await store.removeConnection(b.connectionId, { now: T0 + 1 });
        await back(store, conn(ALICE));
        expect(users(await store.claimOutbox(T0 + 1 + lease, 10))).toEqual([BOB]);
      },
    );

    it('a connection id moving to another user takes its last user offline, with an entry', async () => {
      const store = durable(ctx.store());
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      // The connection id moves to bob: alice had no other, so she goes offline in that step.
      await store.touch({ userId: BOB, connectionId: a.connectionId }, T0 + 1);
      await store.touch({ userId: BOB, connectionId: a.connectionId }, T0 + 2);
      expect(withoutClaim(await store.claimOutbox(T0 + 2 + lease, 10))).toEqual([
        { userId: ALICE, lastActivity: T0 },
      ]);
    });

    it('entries recorded longer ago than the outbox TTL are dropped, never handed out', async () => {
      const store = durable(ctx.store());
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      await store.removeConnection(a.connectionId, { now: T0 });
      expect(await store.claimOutbox(T0 + ttl + 1, 10)).toEqual([]);
      expect(await store.claimOutbox(T0 + ttl + 2 * lease, 10)).toEqual([]);
    });

    it('a claim hands out at most limit entries; the others stay claimable', async () => {
      const store = durable(ctx.store());
      const people = [ALICE, BOB, CAROL, DAVE, 'erin'];
      for (const user of people) {
        const c = conn(user);
        await store.addConnection(c, T0);
        await store.removeConnection(c.connectionId, { now: T0 });
      }
      const at = T0 + lease;
      const batches = [
        await store.claimOutbox(at, 2),
        await store.claimOutbox(at, 2),
        await store.claimOutbox(at, 2),
        await store.claimOutbox(at, 2),
      ];
      expect(batches.map((b) => b.length)).toEqual([2, 2, 1, 0]);
      expect(batches.flatMap(users).sort()).toEqual([...people].sort());
    });

    it('ignores acknowledgements of unknown entries and rejects a bad claim limit', async () => {
      const store = durable(ctx.store());
      expect(await store.ackOutbox([{ userId: 'nobody', lastActivity: T0, claim: 'x' }])).toBe(0);
      expect(await store.ackOutbox([])).toBe(0);
      for (const bad of [0, -1, 1.5]) {
        await expect(store.claimOutbox(T0, bad)).rejects.toMatchObject({ code: 'invalid_input' });
      }
    });
  });
}
