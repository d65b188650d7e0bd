import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MEMORY_TTL_MS,
  HIDDEN_PAGE,
  InvalidInputError,
  MemoryPresenceStore,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

const alice1 = { userId: 'alice', connectionId: 'A1=' };
const alice2 = { userId: 'alice', connectionId: 'A2=' };
const bob = { userId: 'bob', connectionId: 'B1=' };
const page = { url: 'https://github.com/', title: 'GitHub' };

describe('MemoryPresenceStore TTL safety net', () => {
  it('defaults to three presence timeouts (540 s)', () => {
    expect(DEFAULT_MEMORY_TTL_MS).toBe(540_000);
  });

  it('keeps a connection exactly ttlMs after its last write and drops it one ms later', async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.setPage(alice1, page, true, 5);
    clock.advance(1_000);
    expect(await store.userOfConnection(alice1.connectionId)).toBe('alice');
    clock.advance(1);
    expect(await store.userOfConnection(alice1.connectionId)).toBeUndefined();
    expect(await store.presenceOf(['alice'])).toEqual(new Map());
  });

  it('any write refreshes the TTL: add, touch and setPage', async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1);
    for (const write of [
      () => store.touch(alice1, 2),
      () => store.setPage(alice1, page, true, 3),
      () => store.addConnection(alice1, 4),
    ]) {
      clock.advance(900);
      expect((await write()).wasRegistered).toBe(true);
    }
    clock.advance(900);
    expect(await store.connectionsOf(['alice'])).toEqual(new Map([['alice', ['A1=']]]));
  });

  it('reads do not refresh the TTL', async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1);
    clock.advance(900);
    await store.presenceOf(['alice']);
    await store.connectionsOf(['alice']);
    await store.userOfConnection(alice1.connectionId);
    clock.advance(101);
    expect(await store.presenceOf(['alice'])).toEqual(new Map());
  });

  it('measures the TTL with its clock, not the caller timestamps', async () => {
    const clock = new FakeClock(2_000_000_000_000);
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1_700_000_000_000);
    expect(await store.userOfConnection(alice1.connectionId)).toBe('alice');
  });

  it("an idle connection expires while the user's other, active connection keeps them online", async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1);
    await store.setPage(alice2, page, true, 1);
    clock.advance(600);
    await store.touch(alice2, 2);
    clock.advance(600);
    expect(await store.connectionsOf(['alice'])).toEqual(new Map([['alice', ['A2=']]]));
    expect(await store.presenceOf(['alice'])).toEqual(
      new Map([['alice', { page, latestPage: page }]]),
    );
    expect(await store.removeConnection(alice1.connectionId)).toBeUndefined();
  });

  it('an expired connection is not reported by a later sweep', async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1);
    await store.addConnection(bob, 1);
    clock.advance(500);
    await store.touch(bob, 1);
    clock.advance(501);
    expect(await store.sweep(10, 100)).toMatchObject({
      expired: [bob],
      offline: ['bob'],
      more: false,
    });
  });

  it('expired data is gone for good: a clock set back does not revive it', async () => {
    const clock = new FakeClock();
    const store = new MemoryPresenceStore({ clock, ttlMs: 1_000 });
    await store.addConnection(alice1, 1);
    clock.advance(1_001);
    expect(await store.userOfConnection(alice1.connectionId)).toBeUndefined();
    clock.set(clock.now() - 5_000);
    expect(await store.userOfConnection(alice1.connectionId)).toBeUndefined();
  });
});

describe('MemoryPresenceStore details', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects ttlMs %s', (ttlMs) => {
    expect(() => new MemoryPresenceStore({ ttlMs })).toThrow(InvalidInputError);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a sweep limit of %s', async (limit) => {
    await expect(new MemoryPresenceStore().sweep(1, limit)).rejects.toThrow(InvalidInputError);
  });

  it('sweeps the oldest connections first', async () => {
    const store = new MemoryPresenceStore();
    await store.addConnection(bob, 30);
    await store.addConnection(alice1, 10);
    await store.addConnection(alice2, 20);
    const batch = await store.sweep(100, 2);
    expect(batch).toMatchObject({ expired: [alice1, alice2], offline: ['alice'], more: true });
    expect(batch.counts).toEqual({ stale: 3, total: 3 });
  });

  it('stores a copy of the page: mutating the caller object changes nothing', async () => {
    const store = new MemoryPresenceStore();
    const mutable = { url: 'https://a.example/', title: 'A' };
    await store.setPage(alice1, mutable, true, 1);
    mutable.url = 'https://evil.example/';
    expect((await store.presenceOf(['alice'])).get('alice')?.page.url).toBe('https://a.example/');
  });

  it('returns fresh connection arrays: mutating one changes nothing', async () => {
    const store = new MemoryPresenceStore();
    await store.addConnection(alice1, 1);
    (await store.connectionsOf(['alice'])).get('alice')?.push('X=');
    expect(await store.connectionsOf(['alice'])).toEqual(new Map([['alice', ['A1=']]]));
  });

  it('moves a connection id re-registered under another user', async () => {
    const store = new MemoryPresenceStore();
    await store.setPage(alice1, page, true, 1);
    expect(await store.touch({ userId: 'bob', connectionId: alice1.connectionId }, 2)).toEqual({
      wasRegistered: false,
      cameOnline: true,
    });
    expect(await store.userOfConnection(alice1.connectionId)).toBe('bob');
    expect(await store.presenceOf(['alice', 'bob'])).toEqual(
      new Map([['bob', { page: HIDDEN_PAGE, latestPage: null }]]),
    );
  });
});
