import { describe, expect, it } from 'vitest';
import { type DurablePresenceStore, MemoryPresenceStore } from '../src/index.js';
import { checkAgainstModel } from '../src/testing/presence-store-model.js';

/** A memory store with one method replaced: the kind of bug the model-based check must find. */
function mutant(patch: (store: MemoryPresenceStore) => Partial<DurablePresenceStore>) {
  return async (): Promise<DurablePresenceStore> => {
    const store = new MemoryPresenceStore();
    const replaced = patch(store);
    return {
      partitions: store.partitions,
      addConnection: (ref, now, options) => store.addConnection(ref, now, options),
      removeConnection: (id, options) => store.removeConnection(id, options),
      touch: (ref, now, options) => store.touch(ref, now, options),
      setPage: (ref, page, shared, now, options) => store.setPage(ref, page, shared, now, options),
      userOfConnection: (id) => store.userOfConnection(id),
      connectionsOf: (ids, seenSince) => store.connectionsOf(ids, seenSince),
      presenceOf: (ids) => store.presenceOf(ids),
      sweep: (cutoff, limit, options) => store.sweep(cutoff, limit, options),
      claimOutbox: (now, limit) => store.claimOutbox(now, limit),
      ackOutbox: (entries) => store.ackOutbox(entries),
      partitionOf: (id) => store.partitionOf(id),
      markSweep: (now, gap) => store.markSweep(now, gap),
      markReconciled: (progress) => store.markReconciled(progress),
      liveUsersIn: (p, since) => store.liveUsersIn(p, since),
      lastSeenRetentionMs: store.lastSeenRetentionMs,
      lastSeenOf: (ids) => store.lastSeenOf(ids),
      presenceWithLastSeenOf: (ids) => store.presenceWithLastSeenOf(ids),
      ...replaced,
    };
  };
}

const check = {
  numRuns: 200,
  maxOps: 20,
  seed: 20_241_128,
  sweepLimitIsApproximate: false,
  outboxLeaseMs: 30_000,
};

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
    [
      'a removal that records its last activity as the removal time',
      mutant((s) => ({
        removeConnection: (id, options) => s.removeConnection(id, { ...options, userAction: true }),
      })),
    ],
    [
      'an ack that ignores the claim',
      mutant((s) => ({
        ackOutbox: async (entries) => {
          const current = await s.claimOutbox(Number.MAX_SAFE_INTEGER, 100);
          const users = new Set(entries.map((e) => e.userId));
          return s.ackOutbox(current.filter((e) => users.has(e.userId)));
        },
      })),
    ],
    [
      'a claim that ignores the lease',
      mutant((s) => ({ claimOutbox: (now, limit) => s.claimOutbox(now + 30_000, limit) })),
    ],
    [
      'a cap that evicts the most recently registered connections instead of the least recently seen',
      mutant((s) => ({
        addConnection: async (ref, now, options) => {
          const cap = options?.maxConnections;
          const result = await s.addConnection(ref, now);
          if (cap === undefined || result.wasRegistered) return result;
          const others = ((await s.connectionsOf([ref.userId])).get(ref.userId) ?? []).filter(
            (id) => id !== ref.connectionId,
          );
          const evicted = others.reverse().slice(0, Math.max(0, others.length + 1 - cap));
          for (const id of evicted) await s.removeConnection(id);
          return evicted.length > 0 ? { ...result, evicted } : result;
        },
      })),
    ],
    [
      'a frame fingerprint kept across new connections and going offline',
      mutant((s) => {
        const kept = new Map<string, string | undefined>();
        return {
          setPage: async (r, p, shared, n, options) => {
            const { unchanged: _ignored, ...result } = await s.setPage(r, p, shared, n, options);
            const fingerprint = options?.frameFingerprint;
            const same = fingerprint !== undefined && kept.get(r.userId) === fingerprint;
            kept.set(r.userId, fingerprint);
            return same ? { ...result, unchanged: true } : result;
          },
        };
      }),
    ],
    [
      'an add that never says the user came online',
      mutant((s) => ({
        addConnection: async (ref, now, options) => {
          const { cameOnline: _ignored, ...result } = await s.addConnection(ref, now, options);
          return result;
        },
      })),
    ],
    [
      'a presence read that leaves out the last seen',
      mutant((s) => ({
        presenceWithLastSeenOf: async (ids) => ({
          online: await s.presenceOf(ids),
          lastSeen: new Map(),
        }),
      })),
    ],
    [
      'a user back online who keeps a stale last seen',
      mutant((s) => {
        const kept = new Map<string, number>();
        return {
          removeConnection: async (id, options) => {
            const removed = await s.removeConnection(id, options);
            if (removed?.announcement) kept.set(removed.userId, removed.announcement.lastActivity);
            return removed;
          },
          lastSeenOf: async (ids) => {
            const seen = await s.lastSeenOf(ids);
            for (const id of ids)
              if (kept.has(id) && !seen.has(id)) seen.set(id, kept.get(id) as number);
            return seen;
          },
        };
      }),
    ],
  ])(
    'fails %s',
    async (_what, makeStore) => {
      await expect(checkAgainstModel(makeStore, check)).rejects.toThrow(/Property failed/);
    },
    30_000,
  );
});
