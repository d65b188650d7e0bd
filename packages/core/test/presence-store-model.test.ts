import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore, type PresenceStore } from '../src/index.js';
import { checkAgainstModel } from '../src/testing/presence-store-model.js';

/** A memory store with one method replaced: the kind of bug the model-based check must find. */
function mutant(patch: (store: MemoryPresenceStore) => Partial<PresenceStore>) {
  return async (): Promise<PresenceStore> => {
    const store = new MemoryPresenceStore();
    const replaced = patch(store);
    return {
      addConnection: (ref, now) => store.addConnection(ref, now),
      removeConnection: (id) => store.removeConnection(id),
      touch: (ref, now) => store.touch(ref, now),
      setPage: (ref, page, shared, now) => store.setPage(ref, page, shared, now),
      userOfConnection: (id) => store.userOfConnection(id),
      connectionsOf: (ids, seenSince) => store.connectionsOf(ids, seenSince),
      presenceOf: (ids) => store.presenceOf(ids),
      sweep: (cutoff, limit) => store.sweep(cutoff, limit),
      ...replaced,
    };
  };
}

const check = { numRuns: 200, maxOps: 20, seed: 20_241_128, sweepLimitIsApproximate: false };

describe('the model-based check of describePresenceStore', () => {
  it('passes the memory store', async () => {
    await checkAgainstModel(async () => new MemoryPresenceStore(), { ...check, numRuns: 100 });
  }, 30_000);

  it.each([
    [
      'a sweep that also removes last-seen == cutoff',
      mutant((s) => ({ sweep: (c, l) => s.sweep(c + 1, l) })),
    ],
    ['a sweep that ignores its limit', mutant((s) => ({ sweep: (c) => s.sweep(c, 1_000) }))],
    [
      'a sweep that never reports more',
      mutant((s) => ({ sweep: async (c, l) => ({ ...(await s.sweep(c, l)), more: false }) })),
    ],
    [
      'a sweep that reports every touched user offline',
      mutant((s) => ({
        sweep: async (c, l) => {
          const batch = await s.sweep(c, l);
          return { ...batch, offline: [...new Set(batch.expired.map((r) => r.userId))] };
        },
      })),
    ],
    [
      'a touch that always claims the connection was registered',
      mutant((s) => ({
        touch: async (r, n) => {
          await s.touch(r, n);
          return { wasRegistered: true };
        },
      })),
    ],
    [
      'a setPage that stores hidden pages as latest',
      mutant((s) => ({
        setPage: async (r, p, shared, n) => {
          const result = await s.setPage(r, p, shared, n);
          return shared && p.url === '' ? { ...result, latestPage: p } : result;
        },
      })),
    ],
    [
      'a connectionsOf that ignores seenSince',
      mutant((s) => ({ connectionsOf: (ids) => s.connectionsOf(ids) })),
    ],
    [
      'a connectionsOf that drops connections seen exactly at seenSince',
      mutant((s) => ({
        connectionsOf: (ids, since) =>
          s.connectionsOf(ids, since === undefined ? since : since + 1),
      })),
    ],
    [
      'a presenceOf that drops latest pages',
      mutant((s) => ({
        presenceOf: async (ids) =>
          new Map([...(await s.presenceOf(ids))].map(([u, r]) => [u, { ...r, latestPage: null }])),
      })),
    ],
  ])(
    'fails %s',
    async (_what, makeStore) => {
      await expect(checkAgainstModel(makeStore, check)).rejects.toThrow(/Property failed/);
    },
    30_000,
  );
});
