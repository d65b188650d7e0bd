import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPresenceClient, type PresenceClient } from '@presence/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { demoSeed, type LocalPresence, startLocalPresence } from '../src/index.js';
import { realBackend, realBackendProblem } from './support/backends.js';
import { within } from './support/ws-client.js';

// @presence/client in Node against presence-local on real Redis and PostgreSQL: the server is
// closed and started again on the same port mid-session, friends change while one client is
// away, and that client converges to the right state by itself (reconnect, page re-sent, resync).

const problem = await realBackendProblem();
if (problem !== undefined) {
  const message = `@presence/client restart test needs Redis + PostgreSQL: ${problem}`;
  if (process.env.CI === 'true')
    throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
}

const github = { url: 'https://github.com/explore', title: 'Explore GitHub' };
const wiki = { url: 'https://en.wikipedia.org/wiki/Presence', title: 'Presence - Wikipedia' };
const mdn = { url: 'https://developer.mozilla.org/en-US/', title: 'MDN Web Docs' };
const so = { url: 'https://stackoverflow.com/questions', title: 'Newest Questions' };

/** Resolves (bounded) once `predicate` holds, checked after every event of the client. */
function until(client: PresenceClient, predicate: () => boolean, what: string): Promise<void> {
  const offs: (() => void)[] = [];
  return within(
    new Promise<void>((resolve) => {
      const check = () => {
        if (predicate()) resolve();
      };
      for (const type of ['sync', 'update', 'offline', 'self', 'status'] as const) {
        offs.push(client.on(type, check));
      }
      check();
    }),
    what,
  ).finally(() => {
    for (const off of offs) off();
  });
}

/** A friend's state as a person reads it: page title, `hidden` or `offline`. */
function seen(client: PresenceClient, userId: string): string | undefined {
  const friend = client.friends.get(userId);
  if (friend === undefined) return undefined;
  return friend.page === null ? 'offline' : friend.page.url === '' ? 'hidden' : friend.page.title;
}

describe.skipIf(problem !== undefined)('@presence/client across a presence-local restart', () => {
  const backend = realBackend();
  let keyDir: string;
  let options: Parameters<typeof startLocalPresence>[0];
  let local: LocalPresence;
  const clients: PresenceClient[] = [];

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'presence-client-test-'));
    options = {
      ...(await backend.prepare(await demoSeed())),
      port: 0,
      sweepIntervalSeconds: 0,
      // One signing key for both server runs, as a user pool keeps its keys across deploys.
      keyFile: join(keyDir, 'issuer-key.json'),
      logger: silent,
    };
    local = await startLocalPresence(options);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await local?.close();
    await backend.cleanup();
    if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
  });

  /** A client for `userId`; its token function waits while `hold()` returns a promise. */
  const connect = (userId: string, hold: () => Promise<void> | undefined = () => undefined) => {
    const client = createPresenceClient({
      url: local.wsUrl,
      restUrl: local.url,
      WebSocket,
      // A fresh token from whichever server runs now.
      token: async () => {
        await hold();
        return local.issueToken(userId);
      },
      reconnectDelayMs: 50,
      maxReconnectDelayMs: 500,
    });
    clients.push(client);
    return client;
  };

  it('converges to the friends’ state after the server restarts, without help', async () => {
    let gate: Promise<void> | undefined;
    let openGate = () => {};
    const alice = connect('alice', () => gate);
    const bob = connect('bob');
    const dave = connect('dave');
    alice.setPage(github);
    bob.setPage(wiki);
    dave.setPage(mdn);
    await until(
      alice,
      () => seen(alice, 'bob') === wiki.title && seen(alice, 'dave') === mdn.title,
      'alice to see bob and dave',
    );
    await until(bob, () => seen(bob, 'alice') === github.title, 'bob to see alice');

    // Alice's next connection waits at the gate: what happens meanwhile, she must catch up on.
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
    const port = local.port;
    await local.close();
    await until(alice, () => alice.status === 'reconnecting', 'alice to notice the server left');
    local = await startLocalPresence({ ...options, port });
    await until(bob, () => bob.status === 'open', 'bob to reconnect');
    await until(dave, () => dave.status === 'open', 'dave to reconnect');

    // While alice is away: bob moves on, dave leaves, carol and erin come online.
    bob.setPage(so);
    dave.close();
    const carol = connect('carol');
    carol.setPage(github); // carol shares github.com only
    const erin = connect('erin');
    erin.setPage(wiki); // erin shares nothing: hidden
    await until(carol, () => carol.self?.page?.title === github.title, 'carol to be online');
    await until(erin, () => erin.self?.page !== undefined && erin.self.page !== null, 'erin');
    await until(bob, () => bob.self?.page?.title === so.title, 'bob’s new page to be stored');
    await local.settle();
    expect(seen(alice, 'bob')).toBe(wiki.title); // alice cannot know yet

    openGate();
    await until(
      alice,
      () =>
        alice.status === 'open' &&
        seen(alice, 'bob') === so.title &&
        seen(alice, 'dave') === 'offline' &&
        seen(alice, 'carol') === github.title &&
        seen(alice, 'erin') === 'hidden',
      'alice to converge',
    );
    // Her page was sent again on the new connection: bob sees her without her doing anything.
    await until(bob, () => seen(bob, 'alice') === github.title, 'bob to see alice again');

    // And her map is exactly what the server says now.
    const response = await fetch(`${local.url}/presence`, {
      headers: { Authorization: await local.issueToken('alice') },
    });
    const body = (await response.json()) as {
      presenceArr: { userId: string; page: unknown; latestPage: unknown }[];
    };
    const truth = Object.fromEntries(body.presenceArr.map((p) => [p.userId, p.page]));
    const mine = Object.fromEntries([...alice.friends.values()].map((p) => [p.userId, p.page]));
    expect(mine).toEqual(truth);
    expect(Object.keys(mine).sort()).toEqual(
      ['8f14e45f-ceea-467f-a8d6-5c2b1e3d9a70', 'bob', 'carol', 'dave', 'erin'].sort(),
    );
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
