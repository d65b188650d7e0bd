import { request } from 'node:http';
import { MemoryFriendGraph } from '@presence/core';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHostHeader } from '../src/dev-endpoints.js';
import { demoSeed, type LocalPresence, startLocalPresence } from '../src/index.js';

// The development endpoints mint a token for any user id: only for requests addressed to a
// loopback host (a DNS-rebinding page sends its own name), and off with a real database.

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** GET with an explicit Host header (fetch does not let a caller set it). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('isLoopbackHostHeader', () => {
  it.each([
    'localhost',
    'localhost:3000',
    'LOCALHOST:3000',
    '127.0.0.1',
    '127.0.0.1:3000',
    '127.1.2.3:80',
    '[::1]',
    '[::1]:3000',
  ])('accepts %j', (host) => {
    expect(isLoopbackHostHeader(host)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'attacker.example',
    'attacker.example:3000',
    'localhost.attacker.example:3000',
    '127.0.0.1.nip.io:3000',
    '127.0.0.256',
    '0.0.0.0:3000',
    '192.168.1.10:3000',
    '[::ffff:127.0.0.1]:3000',
    '[2001:db8::1]:3000',
  ])('refuses %j', (host) => {
    expect(isLoopbackHostHeader(host)).toBe(false);
  });
});

describe('presence-local development endpoints', () => {
  let local: LocalPresence | undefined;
  afterEach(async () => {
    await local?.close();
    local = undefined;
  });

  const start = async (options: Parameters<typeof startLocalPresence>[0] = {}) => {
    local = await startLocalPresence({
      port: 0,
      sweepIntervalSeconds: 0,
      keyFile: false,
      logger: silent,
      ...options,
    });
    return local;
  };

  it('with the demo graph: on, for loopback Host headers only', async () => {
    const server = await start();
    expect(server.devEndpoints).toBe(true);
    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      const token = await get(server.port, '/dev/token/alice', host);
      expect(token.status, host).toBe(200);
      expect(JSON.parse(token.body)).toMatchObject({ userId: 'alice', token: expect.any(String) });
      expect((await get(server.port, '/dev/users', host)).status, host).toBe(200);
    }
  });

  it('refuses a DNS-rebinding request (Host: attacker.example) with 403 and no token', async () => {
    const server = await start();
    for (const path of ['/dev/token/alice', '/dev/users']) {
      const refused = await get(server.port, path, `attacker.example:${server.port}`);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).message).toMatch(/loopback host/);
      expect(refused.body).not.toMatch(/token"|eyJ/);
    }
    // The rest of the server (the demo page, JWKS) is not affected.
    expect((await get(server.port, '/', `attacker.example:${server.port}`)).status).toBe(200);
  });

  it('with a database configured: off by default, 404 saying how to turn them on', async () => {
    // Nothing connects until a handler runs: no database is needed to start.
    const server = await start({ databaseUrl: 'postgres://presence@127.0.0.1:1/unused' });
    expect(server.devEndpoints).toBe(false);
    const off = await get(server.port, '/dev/token/alice', `127.0.0.1:${server.port}`);
    expect(off.status).toBe(404);
    expect(JSON.parse(off.body).message).toMatch(/real database.*--dev-endpoints/);
    expect((await get(server.port, '/dev/users', `127.0.0.1:${server.port}`)).status).toBe(404);
  });

  it('with a database and devEndpoints: true: on, still loopback only', async () => {
    const server = await start({
      databaseUrl: 'postgres://presence@127.0.0.1:1/unused',
      devEndpoints: true,
    });
    expect((await get(server.port, '/dev/token/alice', `127.0.0.1:${server.port}`)).status).toBe(
      200,
    );
    expect((await get(server.port, '/dev/token/alice', 'attacker.example')).status).toBe(403);
  });

  it('with a custom graph: off by default', async () => {
    const server = await start({ graph: new MemoryFriendGraph(await demoSeed()) });
    expect(server.devEndpoints).toBe(false);
    expect((await get(server.port, '/dev/users', `127.0.0.1:${server.port}`)).status).toBe(404);
  });
});
