import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore, presenceTimeoutFrameSchema } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { conn, page, TIMEOUT, world } from './support/service-world.js';

const TEN = Date.UTC(2024, 4, 1, 10, 0, 0);
const at = (minutes: number, seconds = 0) => TEN + minutes * 60_000 + seconds * 1_000;

/** alice and bob online at 10:00; alice active last at 10:07:13; carol keeps bob company. */
async function aliceLastActiveAt71(options: { granularity?: number; retentionMs?: number } = {}) {
  const clock = new FakeClock(TEN);
  const store = new MemoryPresenceStore({
    clock,
    ...(options.retentionMs === undefined ? {} : { lastSeenRetentionMs: options.retentionMs }),
  });
  const w = world(
    { store, clock },
    options.granularity === undefined ? {} : { lastSeenGranularityMs: options.granularity },
  );
  await w.service.connect(conn('alice', 'a1'));
  await w.service.connect(conn('bob', 'b1'));
  clock.set(at(7, 13));
  await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));
  return { ...w, store };
}

describe('last seen on the wire', () => {
  it('a swept friend: the timeout frame and GET /presence carry the last activity rounded down to 5 minutes', async () => {
    const w = await aliceLastActiveAt71();
    w.clock.set(at(7, 13) + TIMEOUT + 1);
    await w.service.heartbeat(conn('bob', 'b1'));

    await w.service.sweep();

    const frames = w.notifier.framesFor('b1');
    expect(frames).toContainEqual({
      type: 'presence-timeout',
      userId: 'alice',
      lastSeenAt: '2024-05-01T10:05:00.000Z',
    });
    expect(presenceTimeoutFrameSchema.parse(frames.at(-1))).toEqual(frames.at(-1));
    const { presenceArr } = await w.service.getPresence('bob');
    expect(presenceArr.find((p) => p.userId === 'alice')).toEqual({
      userId: 'alice',
      page: null,
      latestPage: null,
      lastSeenAt: '2024-05-01T10:05:00.000Z',
    });
  });

  it('a disconnect counts as activity at its time; the caller sees their own lastSeenAt', async () => {
    const w = await aliceLastActiveAt71();
    w.clock.set(at(9, 59));
    await w.service.heartbeat(conn('bob', 'b1'));
    await w.service.disconnect('a1');

    expect(w.notifier.framesFor('b1').at(-1)).toMatchObject({
      type: 'presence-timeout',
      lastSeenAt: '2024-05-01T10:05:00.000Z',
    });
    const own = await w.service.getPresence('alice');
    expect(own.userPresence).toEqual({
      userId: 'alice',
      page: null,
      latestPage: null,
      lastSeenAt: '2024-05-01T10:05:00.000Z',
    });
  });

  it('rounds down to lastSeenGranularityMs, never up', async () => {
    const w = await aliceLastActiveAt71({ granularity: 60_000 });
    w.clock.set(at(7, 59));
    await w.service.disconnect('a1');
    const { presenceArr } = await w.service.getPresence('bob');
    expect(presenceArr.find((p) => p.userId === 'alice')?.lastSeenAt).toBe(
      '2024-05-01T10:07:00.000Z',
    );
  });

  it('online users carry no lastSeenAt; offline ones never seen carry null', async () => {
    const w = await aliceLastActiveAt71();
    const body = await w.service.getPresence('bob');
    expect(body.userPresence).not.toHaveProperty('lastSeenAt');
    const byId = Object.fromEntries(body.presenceArr.map((p) => [p.userId, p]));
    expect(byId.alice).not.toHaveProperty('lastSeenAt');
    expect(byId.alice?.page).not.toBeNull();
  });

  it('is null once the store retention has passed, to the millisecond', async () => {
    const w = await aliceLastActiveAt71({ retentionMs: 3_600_000 });
    w.clock.set(at(8));
    await w.service.disconnect('a1');
    const seen = async () =>
      (await w.service.getPresence('bob')).presenceArr.find((p) => p.userId === 'alice')
        ?.lastSeenAt;

    w.clock.set(at(8) + 3_600_000);
    expect(await seen()).toBe('2024-05-01T10:05:00.000Z');
    w.clock.set(at(8) + 3_600_001);
    expect(await seen()).toBeNull();
  });

  it('is null everywhere when the store keeps no last seen (retention 0)', async () => {
    const w = await aliceLastActiveAt71({ retentionMs: 0 });
    await w.service.disconnect('a1');

    expect(w.notifier.framesFor('b1').at(-1)).toEqual({
      type: 'presence-timeout',
      userId: 'alice',
      lastSeenAt: null,
    });
    const alice = (await w.service.getPresence('bob')).presenceArr.find(
      (p) => p.userId === 'alice',
    );
    expect(alice?.lastSeenAt).toBeNull();
  });

  it('reaches accepted friends only: a stranger neither receives the frame nor reads it', async () => {
    const w = await aliceLastActiveAt71();
    await w.service.connect(conn('dave', 'd1'));
    await w.service.disconnect('a1');

    expect(w.notifier.framesFor('d1')).toEqual([]);
    const daves = await w.service.getPresence('dave');
    expect(daves.presenceArr.map((p) => p.userId)).not.toContain('alice');
    await expect(w.service.getUserPresence('dave', 'alice')).rejects.toMatchObject({
      code: 'forbidden',
    });
  });
});
