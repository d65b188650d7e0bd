// Fault tests against a dedicated redis-server on 127.0.0.1:7199 that this file starts, kills and
// restarts (never the shared 6379). The global setup's port lock keeps concurrent runs apart.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { HIDDEN_PAGE, StoreUnavailableError } from '@presence/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisPresenceStore } from '../src/index.js';
import { clusterUnavailable } from './helpers.js';

const PORT = 7199;
const T0 = 1_700_000_000_000;
const PAGE = { url: 'https://github.com/presence', title: 'GitHub' };
const run = promisify(execFile);

let server: ChildProcess | undefined;

async function start(): Promise<void> {
  server = spawn(
    'redis-server',
    ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await run('redis-cli', ['-p', String(PORT), 'ping']).then(
      ({ stdout }) => stdout.trim() === 'PONG',
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on ${PORT} did not start within 10 s`);
}

async function kill(): Promise<void> {
  const child = server;
  server = undefined;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Retries `call` until it succeeds, within a bounded time: the client reconnecting after a restart. */
async function eventually<T>(call: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// The cluster's availability doubles as "redis-server is installed" (the global setup checks it).
describe.skipIf(clusterUnavailable() !== undefined)(
  'RedisPresenceStore faults (redis-server on 7199)',
  () => {
    let client: Redis;
    let store: RedisPresenceStore;

    beforeAll(async () => {
      await run('redis-cli', ['-p', String(PORT), 'shutdown', 'nosave']).catch(() => undefined);
      await start();
      // Fail fast while the server is down instead of queueing or retrying for long.
      client = new Redis({
        host: '127.0.0.1',
        port: PORT,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        commandTimeout: 2_000,
        retryStrategy: () => 50,
      });
      // Connection errors are expected here; the store reports them through its calls.
      client.on('error', () => undefined);
      await eventually(() => client.ping());
    });

    let n = 0;
    beforeEach(() => {
      store = new RedisPresenceStore({ client, keyPrefix: `faults:${++n}` });
    });

    afterAll(async () => {
      client?.disconnect();
      await kill();
    });

    it('reports StoreUnavailableError while Redis is down, then works again with the same store after a restart', async () => {
      const a = { userId: 'alice', connectionId: 'faultA0=' };
      await store.setPage(a, PAGE, true, T0);
      await kill();

      const calls: Array<() => Promise<unknown>> = [
        () => store.touch(a, T0 + 1),
        () => store.setPage(a, PAGE, true, T0 + 1),
        () => store.addConnection(a, T0 + 1),
        () => store.removeConnection(a.connectionId),
        () => store.userOfConnection(a.connectionId),
        () => store.connectionsOf(['alice']),
        () => store.presenceOf(['alice']),
        () => store.sweep(T0, 10),
        () => store.claimOutbox(T0, 10),
        () => store.ackOutbox([{ userId: 'alice', lastActivity: T0, claim: 'x' }]),
        () => store.markSweep(T0, 1_000),
        () => store.lastSeenOf(['alice']),
        () => store.liveUsersIn(0, T0),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(StoreUnavailableError.isInstance(error), String(error)).toBe(true);
        expect((error as Error).cause).toBeInstanceOf(Error);
      }

      await start();
      // The restarted server lost everything (no persistence): the next heartbeat re-registers.
      expect(await eventually(() => store.touch(a, T0 + 2))).toEqual({
        wasRegistered: false,
        cameOnline: true,
      });
      expect(await store.userOfConnection(a.connectionId)).toBe('alice');
      expect(await store.presenceOf(['alice'])).toEqual(
        new Map([['alice', { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });

    it('detaches in O(1): no HKEYS or HGETALL on the remove and sweep paths, whatever the count', async () => {
      const refs = Array.from({ length: 200 }, (_, i) => ({
        userId: 'many',
        connectionId: `m${i}=`,
      }));
      for (const [i, r] of refs.entries()) await store.addConnection(r, i < 100 ? T0 : T0 + 10);
      const commandCalls = async () => {
        const info = await client.info('commandstats');
        const calls = new Map<string, number>();
        for (const [, name, count] of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
          calls.set(name as string, Number(count));
        }
        return calls;
      };
      await client.config('RESETSTAT');
      for (const r of refs.slice(100, 150)) {
        expect(await store.removeConnection(r.connectionId)).toEqual({
          userId: 'many',
          userOffline: false,
        });
      }
      const batch = await store.sweep(T0 + 1, 1_000);
      expect(batch.expired).toHaveLength(100);
      expect(batch.offline).toEqual([]);
      const calls = await commandCalls();
      expect(calls.get('hkeys') ?? 0).toBe(0);
      expect(calls.get('hgetall') ?? 0).toBe(0);
      // 50 removes and one sweep script, whose inner calls are counted too (HMGET once per user).
      expect(calls.get('hmget')).toBe(51);
      expect(await store.connectionsOf(['many'])).toEqual(
        new Map([['many', refs.slice(150).map((r) => r.connectionId)]]),
      );
    });

    it('reloads its scripts after SCRIPT FLUSH', async () => {
      const b = { userId: 'bob', connectionId: 'faultB0=' };
      await store.addConnection(b, T0);
      await client.script('FLUSH');
      expect(await store.touch(b, T0 + 1)).toEqual({ wasRegistered: true });
      await client.script('FLUSH');
      expect(await store.setPage(b, PAGE, true, T0 + 2)).toEqual({
        wasRegistered: true,
        latestPage: PAGE,
      });
      await client.script('FLUSH');
      // In a pipeline, like the sweep's read.
      expect(await store.connectionsOf(['bob'], T0 + 2)).toEqual(
        new Map([['bob', [b.connectionId]]]),
      );
      await client.script('FLUSH');
      expect((await store.sweep(T0 + 3, 10)).expired).toEqual([b]);
      await client.script('FLUSH');
      expect(await store.removeConnection(b.connectionId)).toBeUndefined();
    });

    it('re-registers a live user whose keys expired under them on the next heartbeat', async () => {
      const c = { userId: 'carol', connectionId: 'faultC0=' };
      const other = { userId: 'carol', connectionId: 'faultC1=' };
      await store.setPage(c, PAGE, true, T0);
      await store.addConnection(other, T0);
      // Expire the user's hash only (as if its TTL ran out): the record and the index remain.
      await client.pexpireat(store.keys.userKey('carol'), 1);
      expect(await store.presenceOf(['carol'])).toEqual(new Map());
      expect(await store.touch(c, T0 + 1)).toEqual({ wasRegistered: false, cameOnline: true });
      expect(await store.connectionsOf(['carol'])).toEqual(new Map([['carol', [c.connectionId]]]));
      // Then the user's hash and the connection's record.
      await client.pexpireat(store.keys.userKey('carol'), 1);
      await client.pexpireat(store.keys.connectionKey(c.connectionId), 1);
      expect(await store.userOfConnection(c.connectionId)).toBeUndefined();
      expect(await store.touch(c, T0 + 2)).toEqual({ wasRegistered: false, cameOnline: true });
      expect(await store.userOfConnection(c.connectionId)).toBe('carol');
      // The stale index entry of the other connection is swept, and carol stays online.
      const batch = await store.sweep(T0 + 2, 10);
      expect(batch.expired).toEqual([other]);
      expect(batch.offline).toEqual([]);
      expect(await store.presenceOf(['carol'])).toEqual(
        new Map([['carol', { page: HIDDEN_PAGE, latestPage: null }]]),
      );
    });
  },
);
