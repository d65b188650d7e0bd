import { type FriendGraph, MemoryFriendGraph } from '@presence/core';
import { afterEach, describe, expect, it } from 'vitest';
import { demoSeed, type LocalPresence, startLocalPresence } from '../src/index.js';
import { is, TestClient, within } from './support/ws-client.js';

// The gateway's queue in front of the handlers, driven through a friend graph the test holds
// closed: no sleeps, no wall-clock thresholds.

/**
 * A graph whose update-presence read (`friendsOf`, or `friendsAndSettingsOf` once the service reads
 * both at once) waits until the test opens it, counting calls running at once.
 */
function heldGraph(inner: FriendGraph) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const stats = { running: 0, peak: 0, calls: 0 };
  const held =
    <T>(read: () => Promise<T>) =>
    async (): Promise<T> => {
      stats.calls += 1;
      stats.running += 1;
      stats.peak = Math.max(stats.peak, stats.running);
      await opened;
      stats.running -= 1;
      return read();
    };
  const graph: FriendGraph = {
    friendsOf: (userId) => held(() => inner.friendsOf(userId))(),
    friendsAndSettingsOf: (userId) => held(() => inner.friendsAndSettingsOf(userId))(),
    sharingSettingsOf: (userId) => inner.sharingSettingsOf(userId),
    profilesOf: (userIds) => inner.profilesOf(userIds),
    friendsOfMany: (userIds) => inner.friendsOfMany(userIds),
    areFriends: (a, b) => inner.areFriends(a, b),
    friendsWithProfilesOf: (userId) => inner.friendsWithProfilesOf(userId),
  };
  return { graph, stats, open };
}

const until = async (condition: () => boolean, what: string) =>
  within(
    (async () => {
      while (!condition()) await new Promise((r) => setImmediate(r));
    })(),
    what,
  );

describe('presence-local invocation limit', () => {
  let local: LocalPresence | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await local?.close();
    local = undefined;
  });

  it('queues invocations past the limit in front of the handlers, warns with counts past the queue bound, and delivers every frame', async () => {
    // Prepare
    const seed = await demoSeed();
    const held = heldGraph(new MemoryFriendGraph(seed));
    const warnings: Record<string, unknown>[] = [];
    local = await startLocalPresence({
      port: 0,
      sweepIntervalSeconds: 0,
      keyFile: false,
      seed,
      graph: held.graph,
      maxConcurrentInvocations: 2,
      maxQueuedInvocations: 3,
      logger: {
        debug() {},
        info() {},
        warn: (fields) => warnings.push(fields),
        error() {},
      },
    });
    const server = local;
    const users = ['alice', 'bob', 'carol']; // friends of one another in the demo seed
    const sockets = new Map<string, TestClient>();
    for (const user of users) {
      const client = await TestClient.open(server.wsUrl, await server.issueToken(user), user);
      sockets.set(user, client);
      clients.push(client);
    }
    await server.settle();
    const update = (user: string, i: number) =>
      sockets.get(user)?.update(`https://example.com/${user}/${i}`, `${user} ${i}`);

    // Act: one update each; the graph holds them inside the handlers.
    for (const user of users) update(user, 0);
    await until(
      () => server.invocations.running === 2 && server.invocations.queued === 1,
      'two invocations running and one queued',
    );

    // Assess: two run, the third waits in front of the handlers.
    expect(held.stats).toEqual({ running: 2, peak: 2, calls: 2 });
    expect(warnings).toEqual([]);

    // Act: more updates than the queue bound.
    for (let i = 1; i < 4; i += 1) for (const user of users) update(user, i);
    await until(() => server.invocations.queued > 3, 'the queue to pass its bound');

    // Assess: a warn of counts only; settle() waits for what is queued.
    expect(warnings).toEqual([
      { op: 'invocation-queue', queued: 4, running: 2, maxQueued: 3, concurrency: 2 },
    ]);
    let settled = false;
    const settling = server.settle().then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);

    held.open();
    await within(settling, 'settle() after the graph opens');
    expect(held.stats.peak).toBe(2);
    expect(held.stats.calls).toBe(12);
    expect(server.invocations).toEqual({ running: 0, queued: 0 });
    // Every update reached both friends and the sender's echo, in the sender's order. carol's
    // settings hide example.com: her four updates make the same hidden frame, sent once (the skip
    // rule: every recipient already holds it).
    for (const receiver of users) {
      for (const sender of users) {
        const count = sender === 'carol' ? 1 : 4;
        const titles: unknown[] = [];
        for (let i = 0; i < count; i += 1) {
          const frame = await sockets.get(receiver)?.next(is.update(sender), `${sender} #${i}`);
          titles.push(frame?.title);
        }
        const expected = sender === 'carol' ? [''] : [0, 1, 2, 3].map((i) => `${sender} ${i}`);
        expect(titles, `${sender} → ${receiver}`).toEqual(expected);
      }
      await sockets.get(receiver)?.barrier();
      expect(sockets.get(receiver)?.frames.filter(is.update('carol'))).toHaveLength(1);
    }
  });
});
