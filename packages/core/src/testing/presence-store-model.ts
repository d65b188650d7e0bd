import * as fc from 'fast-check';
import { expect } from 'vitest';
import { type ConnectionRef, HIDDEN_PAGE, type OnlineRecord, type Page } from '../model.js';
import type { PresenceStore } from '../ports.js';
import { openStore, type PresenceStoreFactory } from './store-handle.js';

const USERS = ['m-alice', 'm-"bob"', 'm-{carol}'] as const;
/** Each connection belongs to one user for the whole run, as API Gateway ids do. */
const CONNECTIONS: readonly ConnectionRef[] = [
  { userId: 'm-alice', connectionId: 'mA0=' },
  { userId: 'm-alice', connectionId: 'mA1=' },
  { userId: 'm-"bob"', connectionId: 'mB0=' },
  { userId: 'm-"bob"', connectionId: 'mB1=' },
  { userId: 'm-{carol}', connectionId: 'mC0=' },
];
const PAGES: readonly Page[] = [
  HIDDEN_PAGE,
  { url: 'https://github.com/presence', title: 'GitHub' },
  { url: 'https://foo.github.io/a?b="c"', title: 'Foo "ü" 😀' },
];
/** Time steps between operations; writes never go back in time. */
const STEPS = [0, 1, 1_000, 60_000] as const;
/** How far before `now` a sweep cuts (negative: after `now`, sweeping everything). */
const SWEEP_BACK = [-1, 0, 1, 1_000, 60_000, 120_000] as const;

/** One operation of a random sequence. */
type Op =
  | { kind: 'add' | 'touch' | 'remove'; conn: number; step: number }
  | { kind: 'setPage'; conn: number; page: number; shared: boolean; step: number }
  | { kind: 'sweep'; back: number; limit: number; step: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('add' as const, 'touch' as const, 'remove' as const),
    conn: fc.nat(CONNECTIONS.length - 1),
    step: fc.constantFrom(...STEPS),
  }),
  fc.record({
    kind: fc.constant('setPage' as const),
    conn: fc.nat(CONNECTIONS.length - 1),
    page: fc.nat(PAGES.length - 1),
    shared: fc.boolean(),
    step: fc.constantFrom(...STEPS),
  }),
  fc.record({
    kind: fc.constant('sweep' as const),
    back: fc.constantFrom(...SWEEP_BACK),
    limit: fc.integer({ min: 1, max: 6 }),
    step: fc.constantFrom(...STEPS),
  }),
);

/** The reference: the PresenceStore contract in a few lines of plain maps. */
class Model {
  readonly lastSeen = new Map<string, number>();
  readonly users = new Map<string, { page: Page; latestPage: Page | null }>();

  upsert(ref: ConnectionRef, now: number): boolean {
    const known = this.lastSeen.has(ref.connectionId);
    this.lastSeen.set(ref.connectionId, now);
    if (!this.users.has(ref.userId))
      this.users.set(ref.userId, { page: HIDDEN_PAGE, latestPage: null });
    return known;
  }

  remove(connectionId: string): { userId: string; userOffline: boolean } | undefined {
    if (!this.lastSeen.delete(connectionId)) return undefined;
    const userId = userOf(connectionId);
    const userOffline = this.connectionsOf(userId).length === 0;
    if (userOffline) this.users.delete(userId);
    return { userId, userOffline };
  }

  connectionsOf(userId: string): string[] {
    return CONNECTIONS.filter((c) => c.userId === userId && this.lastSeen.has(c.connectionId)).map(
      (c) => c.connectionId,
    );
  }
}

function userOf(connectionId: string): string {
  return (CONNECTIONS.find((c) => c.connectionId === connectionId) as ConnectionRef).userId;
}

async function expectSameState(
  store: PresenceStore,
  model: Model,
  step: string,
  now: number,
): Promise<void> {
  const unknown = ['m-nobody'];
  const presence = await store.presenceOf([...USERS, ...unknown]);
  const expected = new Map<string, OnlineRecord>(model.users);
  expect(new Map(presence), `presenceOf after ${step}`).toEqual(expected);
  const connections = await store.connectionsOf([...USERS, ...unknown]);
  const sorted = new Map([...connections].map(([u, ids]) => [u, [...ids].sort()]));
  const expectedConnections = new Map(
    USERS.filter((u) => model.users.has(u)).map((u) => [u, model.connectionsOf(u).sort()]),
  );
  expect(sorted, `connectionsOf after ${step}`).toEqual(expectedConnections);
  // The sweep's read: only connections seen at or after a cutoff (one step size back, or none).
  for (const back of [0, 1_000]) {
    const seenSince = now - back;
    const recent = await store.connectionsOf([...USERS, ...unknown], seenSince);
    const expectedRecent = new Map(
      USERS.map((u): [string, string[]] => [
        u,
        model.connectionsOf(u).filter((id) => (model.lastSeen.get(id) as number) >= seenSince),
      ])
        .filter(([, ids]) => ids.length > 0)
        .map(([u, ids]) => [u, ids.sort()]),
    );
    expect(
      new Map([...recent].map(([u, ids]) => [u, [...ids].sort()])),
      `connectionsOf(seenSince: now - ${back}) after ${step}`,
    ).toEqual(expectedRecent);
  }
  for (const { connectionId, userId } of CONNECTIONS) {
    expect(
      await store.userOfConnection(connectionId),
      `userOfConnection(${connectionId}) after ${step}`,
    ).toBe(model.lastSeen.has(connectionId) ? userId : undefined);
  }
}

async function runSequence(
  store: PresenceStore,
  ops: readonly Op[],
  sweepLimitIsApproximate: boolean,
): Promise<void> {
  const model = new Model();
  let now = 1_700_000_000_000;
  for (const [index, op] of ops.entries()) {
    now += op.step;
    const label = `step ${index} ${JSON.stringify(op)}`;
    if (op.kind === 'sweep') {
      const cutoff = now - op.back;
      const stale = new Set([...model.lastSeen].filter(([, t]) => t < cutoff).map(([id]) => id));
      const batch = await store.sweep(cutoff, op.limit);
      const ids = batch.expired.map((r) => r.connectionId);
      expect(new Set(ids).size, `${label}: expired ids are distinct`).toBe(ids.length);
      for (const ref of batch.expired) {
        expect(stale.has(ref.connectionId), `${label}: ${ref.connectionId} was stale`).toBe(true);
        expect(ref.userId, `${label}: user of ${ref.connectionId}`).toBe(userOf(ref.connectionId));
      }
      if (!sweepLimitIsApproximate)
        expect(ids.length, `${label}: limit`).toBeLessThanOrEqual(op.limit);
      if (ids.length < stale.size) expect(batch.more, `${label}: more`).toBe(true);
      if (stale.size > 0) expect(ids.length, `${label}: progress`).toBeGreaterThan(0);
      const offline = new Set<string>();
      for (const id of ids) if (model.remove(id)?.userOffline) offline.add(userOf(id));
      expect(new Set(batch.offline), `${label}: offline users`).toEqual(offline);
      expect(batch.offline.length, `${label}: offline users are distinct`).toBe(offline.size);
    } else {
      const ref = CONNECTIONS[op.conn] as ConnectionRef;
      if (op.kind === 'remove') {
        expect(await store.removeConnection(ref.connectionId), label).toEqual(
          model.remove(ref.connectionId),
        );
      } else if (op.kind === 'setPage') {
        const page = PAGES[op.page] as Page;
        const result = await store.setPage(ref, page, op.shared, now);
        const wasRegistered = model.upsert(ref, now);
        const user = model.users.get(ref.userId) as { page: Page; latestPage: Page | null };
        user.page = page;
        if (op.shared && page.url !== '') user.latestPage = page;
        expect(result, label).toEqual({ wasRegistered, latestPage: user.latestPage });
      } else {
        const result =
          op.kind === 'add' ? await store.addConnection(ref, now) : await store.touch(ref, now);
        expect(result, label).toEqual({ wasRegistered: model.upsert(ref, now) });
      }
    }
    await expectSameState(store, model, label, now);
  }
}

/** Settings of the model-based check. */
export interface PresenceStoreModelCheck {
  readonly numRuns: number;
  readonly seed?: number;
  readonly maxOps: number;
  readonly sweepLimitIsApproximate: boolean;
}

/**
 * Runs random sequences of add / remove / touch / setPage / sweep against a fresh store per run and
 * against the reference model, comparing every result and the whole observable state after each step.
 */
export async function checkAgainstModel(
  makeStore: PresenceStoreFactory,
  check: PresenceStoreModelCheck,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: check.maxOps }), async (ops) => {
      const { store, dispose } = await openStore(makeStore);
      try {
        await runSequence(store, ops, check.sweepLimitIsApproximate);
      } finally {
        await dispose();
      }
    }),
    { numRuns: check.numRuns, ...(check.seed === undefined ? {} : { seed: check.seed }) },
  );
}
