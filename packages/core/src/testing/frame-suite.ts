import { describe, expect, it } from 'vitest';
import { PresenceError } from '../errors.js';
import { HIDDEN_PAGE } from '../model.js';
import { ALICE, BOB, conn, PAGE_A, PAGE_B, type SuiteContext, T0 } from './suite-fixtures.js';

const fp = (frameFingerprint: string) => ({ frameFingerprint });

/**
 * The store's side of the skip rule: the frame fingerprint kept per user by setPage (compared,
 * replaced, forgotten by any new connection, a setPage without one, and going offline), and
 * `cameOnline` on the writes that bring a user online.
 */
export function frameTests(ctx: SuiteContext): void {
  describe('frame fingerprint', () => {
    it('reports unchanged exactly when the fingerprint equals the last one kept', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.addConnection(a, T0);
      expect((await store.setPage(a, PAGE_A, true, T0 + 1, fp('f1'))).unchanged).toBeUndefined();
      expect(await store.setPage(a, PAGE_A, true, T0 + 2, fp('f1'))).toEqual({
        wasRegistered: true,
        latestPage: PAGE_A,
        unchanged: true,
      });
      expect((await store.setPage(a, PAGE_B, false, T0 + 3, fp('f2'))).unchanged).toBeUndefined();
      // Only the last one is kept.
      expect((await store.setPage(a, PAGE_A, true, T0 + 4, fp('f1'))).unchanged).toBeUndefined();
      expect((await store.setPage(a, PAGE_A, true, T0 + 5, fp('f1'))).unchanged).toBe(true);
    });

    it('an unchanged write still refreshes liveness and stores the page', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.setPage(a, PAGE_A, true, T0, fp('f1'));
      await store.setPage(a, PAGE_A, true, T0 + 100, fp('f1'));
      const batch = await store.sweep(T0 + 50, 10);
      expect(batch.expired).toEqual([]);
      expect(await store.presenceOf([ALICE])).toEqual(
        new Map([[ALICE, { page: PAGE_A, latestPage: PAGE_A }]]),
      );
    });

    it('any other connection of the user the store did not know forgets it; a known one does not', async () => {
      const store = ctx.store();
      const [a1, a2, a3, a4] = [conn(ALICE), conn(ALICE), conn(ALICE), conn(ALICE)];
      await store.setPage(a1, PAGE_A, true, T0, fp('f1'));
      await store.touch(a1, T0 + 1);
      await store.addConnection(a1, T0 + 2);
      expect((await store.setPage(a1, PAGE_A, true, T0 + 3, fp('f1'))).unchanged).toBe(true);
      await store.addConnection(a2, T0 + 4);
      expect((await store.setPage(a1, PAGE_A, true, T0 + 5, fp('f1'))).unchanged).toBeUndefined();
      await store.touch(a3, T0 + 6);
      expect((await store.setPage(a1, PAGE_A, true, T0 + 7, fp('f1'))).unchanged).toBeUndefined();
      expect((await store.setPage(a4, PAGE_A, true, T0 + 8, fp('f1'))).unchanged).toBeUndefined();
      expect((await store.setPage(a2, PAGE_A, true, T0 + 9, fp('f1'))).unchanged).toBe(true);
    });

    it('a setPage without a fingerprint forgets it', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.setPage(a, PAGE_A, true, T0, fp('f1'));
      await store.setPage(a, PAGE_A, true, T0 + 1);
      expect((await store.setPage(a, PAGE_A, true, T0 + 2, fp('f1'))).unchanged).toBeUndefined();
    });

    it('going offline forgets it: a user back online is sent again', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      await store.setPage(a, PAGE_A, true, T0, fp('f1'));
      await store.removeConnection(a.connectionId, { now: T0 + 1 });
      expect(await store.setPage(a, PAGE_A, true, T0 + 2, fp('f1'))).toEqual({
        wasRegistered: false,
        cameOnline: true,
        latestPage: PAGE_A,
      });
      const swept = conn(ALICE);
      await store.removeConnection(a.connectionId, { now: T0 + 3 });
      await store.setPage(swept, HIDDEN_PAGE, false, T0 + 4, fp('f2'));
      await store.sweep(T0 + 5, 10);
      expect((await store.setPage(swept, HIDDEN_PAGE, false, T0 + 6, fp('f2'))).unchanged).toBe(
        undefined,
      );
    });

    it('is kept per user', async () => {
      const store = ctx.store();
      const [a, b] = [conn(ALICE), conn(BOB)];
      await store.setPage(a, PAGE_A, true, T0, fp('same'));
      expect((await store.setPage(b, PAGE_A, true, T0 + 1, fp('same'))).unchanged).toBeUndefined();
      expect((await store.setPage(a, PAGE_A, true, T0 + 2, fp('same'))).unchanged).toBe(true);
    });

    it('a write the rate limit refuses keeps the fingerprint and reports nothing unchanged', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      const rateLimit = { perSecond: 1, burst: 1 };
      await store.addConnection(a, T0);
      await store.setPage(a, PAGE_A, true, T0, { rateLimit, ...fp('f1') });
      const refused = await store.setPage(a, PAGE_B, true, T0 + 10, { rateLimit, ...fp('f2') });
      expect(refused).toMatchObject({ rateLimited: true });
      expect(refused.unchanged).toBeUndefined();
      const later = await store.setPage(a, PAGE_A, true, T0 + 2_000, { rateLimit, ...fp('f1') });
      expect(later.unchanged).toBe(true);
    });

    it('rejects a fingerprint that is empty, longer than 128 characters or not a string, writing nothing', async () => {
      const store = ctx.store();
      const a = conn(ALICE);
      for (const bad of ['', 'x'.repeat(129), 42]) {
        const error = await store
          .setPage(a, PAGE_A, true, T0, { frameFingerprint: bad as string })
          .catch((e: unknown) => e);
        expect(PresenceError.isInstance(error) && error.code).toBe('invalid_input');
      }
      expect(await store.presenceOf([ALICE])).toEqual(new Map());
      expect((await store.setPage(a, PAGE_A, true, T0, fp('x'.repeat(128)))).unchanged).toBe(
        undefined,
      );
    });
  });

  describe('cameOnline', () => {
    it('is reported by the write that brings the user online, and by no other', async () => {
      const store = ctx.store();
      const [a1, a2] = [conn(ALICE), conn(ALICE)];
      expect((await store.touch(a1, T0)).cameOnline).toBe(true);
      expect((await store.addConnection(a2, T0 + 1)).cameOnline).toBeUndefined();
      expect((await store.setPage(a1, PAGE_A, true, T0 + 2)).cameOnline).toBeUndefined();
      await store.removeConnection(a1.connectionId);
      expect((await store.touch(a2, T0 + 3)).cameOnline).toBeUndefined();
      await store.removeConnection(a2.connectionId);
      expect((await store.setPage(a2, PAGE_A, true, T0 + 4)).cameOnline).toBe(true);
      expect((await store.addConnection(conn(BOB), T0 + 5)).cameOnline).toBe(true);
    });
  });
}
