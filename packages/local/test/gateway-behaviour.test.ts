import { MemoryPresenceStore } from '@presence/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalPresence, startLocalPresence } from '../src/index.js';
import { is, refusedStatus, TestClient, within } from './support/ws-client.js';

// What API Gateway does and the field clients rely on, as presence-local emulates it: the
// `@connections` management API (GET, POST, DELETE) and a token checked at `$connect` only.
describe('presence-local gateway behaviour', () => {
  let local: LocalPresence | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await local?.close();
    local = undefined;
  });

  const start = async (store?: MemoryPresenceStore) => {
    local = await startLocalPresence({
      port: 0,
      sweepIntervalSeconds: 0,
      keyFile: false,
      env: { LOG_LEVEL: 'warn' },
      ...(store === undefined ? {} : { store }),
    });
    return local;
  };
  const open = async (server: LocalPresence, user: string, expiresInSeconds?: number) => {
    const token = await server.issueToken(
      user,
      expiresInSeconds === undefined ? undefined : { expiresInSeconds },
    );
    const client = await TestClient.open(server.wsUrl, token, user);
    clients.push(client);
    return client;
  };

  it('serves @connections: GET describes a live connection, POST delivers, DELETE closes it, then 410', async () => {
    // Prepare: the store tells the test alice's connection id, as the handlers know it
    const store = new MemoryPresenceStore({ ttlMs: 540_000 });
    const server = await start(store);
    const alice = await open(server, 'alice');
    await server.settle();
    const [id] = (await store.connectionsOf(['alice'])).get('alice') ?? [];
    expect(id).toBeDefined();
    const endpoint = `${server.url}/@connections/${encodeURIComponent(id as string)}`;

    // GET: the facts API Gateway returns
    const info = await fetch(endpoint);
    expect(info.status).toBe(200);
    const body = (await info.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['connectedAt', 'identity', 'lastActiveAt']);
    expect(Number.isNaN(Date.parse(body.connectedAt as string))).toBe(false);

    // POST: the body reaches the socket as one text frame
    const posted = await fetch(endpoint, {
      method: 'POST',
      body: JSON.stringify({ type: 'presence-timeout', userId: 'bob', lastSeenAt: null }),
    });
    expect(posted.status).toBe(200);
    expect(await alice.next(is.timeout('bob'), 'the posted frame')).toEqual({
      type: 'presence-timeout',
      userId: 'bob',
      lastSeenAt: null,
    });

    // DELETE: the socket closes, $disconnect runs, the id is gone
    const deleted = await fetch(endpoint, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await within(alice.closed, 'alice’s socket to close');
    // The server sees the close after the client does; its $disconnect then removes the connection.
    await within(
      (async () => {
        while ((await store.connectionsOf(['alice'])).has('alice')) {
          await new Promise((r) => setImmediate(r));
          await server.settle();
        }
      })(),
      'alice’s $disconnect to remove her connection',
    );
    expect(server.connections).toBe(0);
    expect((await fetch(endpoint)).status).toBe(410);
    expect((await fetch(endpoint, { method: 'DELETE' })).status).toBe(410);
  });

  it('keeps a socket open after its token expires: the token is checked at $connect only', async () => {
    // Prepare: bob connects with a token valid for one minute
    const server = await start();
    const bob = await open(server, 'bob', 60);
    const alice = await open(server, 'alice');
    const expired = await server.issueToken('bob', { expiresInSeconds: 60 });
    await server.settle();
    // Act: the clock (the token verifier's too) passes the expiry; only Date is driven
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5 * 60_000);
    alice.update('https://example.com/after-expiry', 'After expiry');
    // Assess: bob's open socket still receives frames; a new connection with such a token is refused
    expect(
      await bob.next(is.update('alice'), 'alice’s update after bob’s token expired'),
    ).toMatchObject({ url: 'https://example.com/after-expiry' });
    expect(await refusedStatus(server.wsUrl, expired)).toBe(401);
    bob.send({ action: 'heartbeat' });
    await bob.barrier();
  });
});
