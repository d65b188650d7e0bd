import * as fc from 'fast-check';
import { expect } from 'vitest';
import { type ConnectionRef, HIDDEN_PAGE, type OnlineRecord, type Page } from '../model.js';
import type { DurablePresenceStore, OutboxEntry, PresenceStore } from '../ports.js';
import { CONNECTIONS, Model, USERS, userOf } from './presence-store-reference.js';
import { openStore, type PresenceStoreFactory } from './store-handle.js';

const PAGES: readonly Page[] = [
  HIDDEN_PAGE,
  { url: 'https://github.com/presence', title: 'GitHub' },
  { url: 'https://foo.github.io/a?b="c"', title: 'Foo "ü" 😀' },
];
/** Time steps between operations; writes never go back in time. 60 s passes the 30 s lease. */
const STEPS = [0, 1, 1_000, 60_000] as const;
/** How far before `now` a sweep cuts (negative: after `now`, sweeping everything). */
const SWEEP_BACK = [-1, 0, 1, 1_000, 60_000, 120_000] as const;

/** One operation of a random sequence. */
type Op =
  | { kind: 'add'; conn: number; cap: number | null; step: number }
  | { kind: 'touch'; conn: number; step: number }
  | { kind: 'remove'; conn: number; userAction: boolean; step: number }
  | {
      kind: 'setPage';
      conn: number;
      page: number;
      shared: boolean;
      fingerprint: string | null;
      step: number;
    }
  | { kind: 'sweep'; back: number; limit: number; step: number }
  | { kind: 'claim'; limit: number; step: number }
  | { kind: 'ack'; pick: number; step: number };

const connArb = fc.nat(CONNECTIONS.length - 1);
const stepArb = fc.constantFrom(...STEPS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    conn: connArb,
    cap: fc.option(fc.integer({ min: 1, max: 2 })),
    step: stepArb,
  }),
  fc.record({ kind: fc.constant('touch' as const), conn: connArb, step: stepArb }),
  fc.record({
    kind: fc.constant('remove' as const),
    conn: connArb,
    userAction: fc.boolean(),
    step: stepArb,
  }),
  fc.record({
    kind: fc.constant('setPage' as const),
    conn: connArb,
    page: fc.nat(PAGES.length - 1),
    shared: fc.boolean(),
    fingerprint: fc.option(fc.constantFrom('f1', 'f2')),
    step: stepArb,
  }),
  fc.record({
    kind: fc.constant('sweep' as const),
    back: fc.constantFrom(...SWEEP_BACK),
    limit: fc.integer({ min: 1, max: 6 }),
    step: stepArb,
  }),
  fc.record({
    kind: fc.constant('claim' as const),
    limit: fc.integer({ min: 1, max: 3 }),
    step: stepArb,
  }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat(20), step: stepArb }),
);

async function expectSameState(
  store: DurablePresenceStore,
  model: Model,
  step: string,
  now: number,
): Promise<void> {
  const unknown = ['m-nobody'];
  const presence = await store.presenceOf([...USERS, ...unknown]);
  const expected = new Map<string, OnlineRecord>(
    [...model.users].map(([u, r]) => [u, { page: r.page, latestPage: r.latestPage }]),
  );
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
  expect(await store.lastSeenOf([...USERS, ...unknown]), `lastSeenOf after ${step}`).toEqual(
    model.lastSeenOf,
  );
  expect(
    await store.presenceWithLastSeenOf([...USERS, ...unknown]),
    `presenceWithLastSeenOf after ${step}`,
  ).toEqual({ online: expected, lastSeen: model.lastSeenOf });
}

/** A touch or add result as the port shapes it: optional flags present only when set. */
function touchShape(known: boolean, cameOnline: boolean, evicted: readonly string[] = []) {
  return {
    wasRegistered: known,
    ...(evicted.length > 0 ? { evicted } : {}),
    ...(cameOnline ? { cameOnline } : {}),
  };
}

/** Learns the store's claim token of an entry the model recorded, after checking its content. */
function learn(model: Model, entry: OutboxEntry | undefined, label: string): string {
  const expected = model.outbox.get(entry?.userId ?? '');
  expect(entry, `${label}: outbox entry`).toBeDefined();
  expect(entry?.lastActivity, `${label}: last activity of ${entry?.userId}`).toBe(
    expected?.lastActivity,
  );
  if (expected !== undefined && entry !== undefined) expected.claim = entry.claim;
  return entry?.claim ?? '';
}

async function runSweep(
  store: DurablePresenceStore,
  model: Model,
  op: Extract<Op, { kind: 'sweep' }>,
  now: number,
  label: string,
  sweepLimitIsApproximate: boolean,
  issued: OutboxEntry[],
): Promise<void> {
  const cutoff = now - op.back;
  const stale = new Set([...model.lastSeen].filter(([, t]) => t < cutoff).map(([id]) => id));
  const batch = await store.sweep(cutoff, op.limit, { now });
  const ids = batch.expired.map((r) => r.connectionId);
  expect(new Set(ids).size, `${label}: expired ids are distinct`).toBe(ids.length);
  for (const ref of batch.expired) {
    expect(stale.has(ref.connectionId), `${label}: ${ref.connectionId} was stale`).toBe(true);
    expect(ref.userId, `${label}: user of ${ref.connectionId}`).toBe(userOf(ref.connectionId));
  }
  if (!sweepLimitIsApproximate) expect(ids.length, `${label}: limit`).toBeLessThanOrEqual(op.limit);
  if (ids.length < stale.size) expect(batch.more, `${label}: more`).toBe(true);
  if (stale.size > 0) expect(ids.length, `${label}: progress`).toBeGreaterThan(0);
  const offline = new Set<string>();
  for (const id of ids) if (model.remove(id, now, undefined)?.userOffline) offline.add(userOf(id));
  expect(new Set(batch.offline), `${label}: offline users`).toEqual(offline);
  expect(batch.offline.length, `${label}: offline users are distinct`).toBe(offline.size);
  const announced = batch.announcements ?? [];
  expect(new Set(announced.map((e) => e.userId)), `${label}: announcements`).toEqual(offline);
  for (const entry of announced) {
    learn(model, entry, label);
    issued.push(entry);
  }
}

async function runOutboxOp(
  store: DurablePresenceStore,
  model: Model,
  op: Extract<Op, { kind: 'claim' | 'ack' }>,
  now: number,
  label: string,
  issued: OutboxEntry[],
): Promise<void> {
  if (op.kind === 'ack') {
    const entry = issued[op.pick % Math.max(1, issued.length)];
    if (entry === undefined) return;
    const pending = model.outbox.get(entry.userId);
    const matches = pending !== undefined && pending.claim === entry.claim;
    expect(await store.ackOutbox([entry]), label).toBe(matches ? 1 : 0);
    if (matches) model.outbox.delete(entry.userId);
    return;
  }
  const claimable = new Set(model.claimable(now));
  const claimed = await store.claimOutbox(now, op.limit);
  const users = claimed.map((e) => e.userId);
  expect(new Set(users).size, `${label}: claimed users are distinct`).toBe(users.length);
  for (const user of users) expect(claimable.has(user), `${label}: ${user} claimable`).toBe(true);
  expect(users.length, `${label}: claimed count`).toBe(Math.min(op.limit, claimable.size));
  for (const entry of claimed) {
    const pending = model.outbox.get(entry.userId);
    learn(model, entry, label);
    if (pending !== undefined) pending.due = now + model.leaseMs;
    issued.push(entry);
  }
}

async function runSequence(
  store: DurablePresenceStore,
  ops: readonly Op[],
  check: PresenceStoreModelCheck,
): Promise<void> {
  const model = new Model(check.outboxLeaseMs);
  const issued: OutboxEntry[] = [];
  let now = 1_700_000_000_000;
  for (const [index, op] of ops.entries()) {
    now += op.step;
    const label = `step ${index} ${JSON.stringify(op)}`;
    if (op.kind === 'sweep') {
      await runSweep(store, model, op, now, label, check.sweepLimitIsApproximate, issued);
    } else if (op.kind === 'claim' || op.kind === 'ack') {
      await runOutboxOp(store, model, op, now, label, issued);
    } else {
      const ref = CONNECTIONS[op.conn] as ConnectionRef;
      if (op.kind === 'remove') {
        const result = await store.removeConnection(ref.connectionId, {
          now,
          userAction: op.userAction,
        });
        const expected = model.remove(ref.connectionId, now, op.userAction ? now : undefined);
        expect(result && { userId: result.userId, userOffline: result.userOffline }, label).toEqual(
          expected && { userId: expected.userId, userOffline: expected.userOffline },
        );
        if (expected?.userOffline && result?.announcement !== undefined) {
          issued.push(result.announcement);
        }
        if (expected?.userOffline) learn(model, result?.announcement, label);
      } else if (op.kind === 'setPage') {
        const page = PAGES[op.page] as Page;
        const fingerprint = op.fingerprint ?? undefined;
        const result = await store.setPage(
          ref,
          page,
          op.shared,
          now,
          fingerprint === undefined ? {} : { frameFingerprint: fingerprint },
        );
        const { known, cameOnline } = model.upsert(ref, now, undefined);
        const user = model.users.get(ref.userId) as {
          page: Page;
          latestPage: Page | null;
          fingerprint?: string;
        };
        user.page = page;
        if (op.shared && page.url !== '') user.latestPage = page;
        const unchanged = fingerprint !== undefined && user.fingerprint === fingerprint;
        if (fingerprint === undefined) delete user.fingerprint;
        else user.fingerprint = fingerprint;
        expect(result, label).toEqual({
          ...touchShape(known, cameOnline),
          latestPage: user.latestPage,
          ...(unchanged ? { unchanged } : {}),
        });
      } else if (op.kind === 'add') {
        const cap = op.cap ?? undefined;
        const result = await store.addConnection(
          ref,
          now,
          cap === undefined ? {} : { maxConnections: cap },
        );
        const { known, cameOnline, evicted } = model.upsert(ref, now, cap);
        expect(result, label).toEqual(touchShape(known, cameOnline, evicted));
      } else {
        const { known, cameOnline } = model.upsert(ref, now, undefined);
        expect(await store.touch(ref, now), label).toEqual(touchShape(known, cameOnline));
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
  /** The store's outbox lease (ms). */
  readonly outboxLeaseMs: number;
}

/**
 * Runs random sequences of add (with a connection cap) / remove / touch / setPage / sweep and of
 * outbox claims and acknowledgements against a fresh store per run and against the reference model,
 * comparing every result and the whole observable state (presence, connections, last seen) after
 * each step.
 */
export async function checkAgainstModel(
  makeStore: PresenceStoreFactory,
  check: PresenceStoreModelCheck,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: check.maxOps }), async (ops) => {
      const { store, dispose } = await openStore(makeStore);
      try {
        await runSequence(store as PresenceStore as DurablePresenceStore, ops, check);
      } finally {
        await dispose();
      }
    }),
    { numRuns: check.numRuns, ...(check.seed === undefined ? {} : { seed: check.seed }) },
  );
}
