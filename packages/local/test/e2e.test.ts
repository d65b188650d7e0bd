import type { FriendGraphSeed } from '@presence/core';
import { FakeClock } from '@presence/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoSeed, type LocalPresence, startLocalPresence } from '../src/index.js';
import {
  type Backend,
  httpBackend,
  memoryBackend,
  REDIS_URL,
  realBackend,
  realBackendProblem,
  signedHttpBackend,
} from './support/backends.js';
import { type Frame, is, refusedStatus, TestClient, within } from './support/ws-client.js';

// End-to-end: the real @presence/lambda handlers behind the local API Gateway emulation, driven by
// real `ws` clients and fetch: with the embedded defaults and with Redis + PostgreSQL, each with
// frames delivered in process (the default) and over HTTP `@connections`.

const problem = await realBackendProblem();
if (problem !== undefined) {
  const message = `Redis + PostgreSQL end-to-end variant unavailable: ${problem}`;
  if (process.env.CI === 'true')
    throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
}

const TIMEOUT_SECONDS = 180;
/** `lastSeenAt` as the protocol states it: the last activity rounded down to 5 minutes (the default). */
const roundedToFiveMinutes = (ms: number) => new Date(ms - (ms % 300_000)).toISOString();

const variants: { name: string; backend: () => Backend; skip: boolean }[] = [
  { name: memoryBackend.name, backend: () => memoryBackend, skip: false },
  { name: httpBackend.name, backend: () => httpBackend, skip: false },
  // Every flow again with the handlers posting through the signed-HTTP transport.
  { name: signedHttpBackend.name, backend: () => signedHttpBackend, skip: false },
  {
    name: 'Redis + PostgreSQL, in-process delivery',
    backend: () => realBackend('inproc'),
    skip: problem !== undefined,
  },
  {
    name: 'Redis + PostgreSQL, --delivery http',
    backend: () => realBackend('http'),
    skip: problem !== undefined,
  },
];

describe.each(variants)('presence-local end to end: $name', ({ backend: makeBackend, skip }) => {
  const backend = makeBackend();
  let local: LocalPresence;
  let seed: FriendGraphSeed;
  const clock = new FakeClock(Date.now());
  const clients: TestClient[] = [];

  const open = async (userId: string, label = userId) => {
    const client = await TestClient.open(local.wsUrl, await local.issueToken(userId), label);
    clients.push(client);
    return client;
  };

  const get = async (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${local.url}${path}`, {
      headers: { ...(token === undefined ? {} : { Authorization: token }), ...headers },
    });

  /** Waits (bounded) until the server has no connection and no task in flight. */
  const quiesce = async () => {
    await within(
      (async () => {
        while (local.connections > 0) await new Promise((r) => setImmediate(r));
        await local.settle();
      })(),
      'the server to settle',
    );
  };

  beforeAll(async () => {
    if (skip) return;
    seed = await demoSeed();
    const extra = await backend.prepare(seed);
    local = await startLocalPresence({
      port: 0,
      timeoutSeconds: TIMEOUT_SECONDS,
      sweepIntervalSeconds: 0,
      clock,
      keyFile: false,
      logger: quietLogger,
      ...extra,
    });
  });

  afterEach(async () => {
    if (skip) return;
    for (const client of clients) {
      expect(client.plainText, `${client.label} got plain-text frames`).toEqual([]);
      expect(client.binary, `${client.label} got binary frames`).toBe(0);
    }
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await quiesce();
  });

  afterAll(async () => {
    if (skip) return;
    await local?.close();
    await backend.cleanup();
  });

  it.skipIf(skip)('uses the backend and the delivery it was asked for', () => {
    const real = ![memoryBackend, httpBackend, signedHttpBackend].includes(backend);
    expect(local.storeKind).toBe(real ? 'redis' : 'memory');
    expect(local.graphKind).toBe(real ? 'postgres' : 'memory');
    expect(local.gatewayTransport).toBe(backend === signedHttpBackend ? 'signed-http' : 'sdk');
    expect(local.delivery).toBe(backend.delivery);
    if (real) expect(REDIS_URL).toMatch(/^redis:/);
  });

  it.skipIf(skip)(
    'sends an update to the friend and the sender’s own tabs, never to a stranger',
    async () => {
      const alice = await open('alice');
      const aliceTab2 = await open('alice', 'alice tab 2');
      const bob = await open('bob');
      const judy = await open('judy');

      alice.update('https://docs.github.com/en/get-started', 'Get started');
      const expected = {
        type: 'update-presence',
        userId: 'alice',
        url: 'https://docs.github.com/en/get-started',
        title: 'Get started',
        domain: 'github.com',
        latestUrl: 'https://docs.github.com/en/get-started',
        latestTitle: 'Get started',
        latestDomain: 'github.com',
      };
      expect(await bob.next(is.update('alice'), 'alice’s update')).toStrictEqual(expected);
      expect(await alice.next(is.update('alice'), 'the echo')).toStrictEqual(expected);
      expect(await aliceTab2.next(is.update('alice'), 'the echo on tab 2')).toStrictEqual(expected);

      await alice.barrier();
      await judy.barrier();
      expect(judy.frames.filter((f) => f.userId === 'alice')).toEqual([]);
      expect(bob.unconsumed(is.update('alice'))).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'computes domains like psl and keeps latest* on the last shared page',
    async () => {
      const alice = await open('alice');
      const bob = await open('bob');

      alice.update('https://foo.github.io/blog', 'Blog');
      const shared = await bob.next(
        is.update('alice', 'https://foo.github.io/blog'),
        'github.io page',
      );
      expect(shared.domain).toBe('foo.github.io');

      alice.update('https://www.bbc.co.uk/news', 'News');
      expect((await bob.next(is.update('alice', 'https://www.bbc.co.uk/news'), 'bbc')).domain).toBe(
        'bbc.co.uk',
      );

      // Hidden by the client: url "" with title "".
      alice.update('', '');
      expect(await bob.next(is.update('alice', ''), 'hidden page')).toStrictEqual({
        type: 'update-presence',
        userId: 'alice',
        url: '',
        title: '',
        domain: '',
        latestUrl: 'https://www.bbc.co.uk/news',
        latestTitle: 'News',
        latestDomain: 'bbc.co.uk',
      });

      // An IP address has no registrable domain.
      alice.update('http://127.0.0.1:8080/', 'Local');
      expect(await bob.next(is.update('alice'), 'ip page')).toMatchObject({
        url: 'http://127.0.0.1:8080/',
        domain: '',
      });
      // Hidden by alice's sharing settings (default_all, bank.example denied): defence in depth. It
      // follows a shared page: after the hidden one above, it would make the very frame bob holds,
      // and that is not sent again (the skip rule).
      alice.update('https://login.bank.example/account', 'My account');
      const denied = await bob.next(is.update('alice'), 'denied page');
      expect(denied).toMatchObject({
        url: '',
        title: '',
        domain: '',
        latestUrl: 'http://127.0.0.1:8080/',
      });
    },
  );

  it.skipIf(skip)('applies default_none sharing: only allowed domains are shared', async () => {
    const carol = await open('carol');
    const alice = await open('alice');
    carol.update('https://news.ycombinator.com/', 'Hacker News');
    expect(await alice.next(is.update('carol'), 'carol hidden')).toMatchObject({
      url: '',
      domain: '',
      latestUrl: '',
    });
    carol.update('https://en.wikipedia.org/wiki/Presence', 'Presence');
    expect(await alice.next(is.update('carol'), 'carol shared')).toMatchObject({
      url: 'https://en.wikipedia.org/wiki/Presence',
      domain: 'wikipedia.org',
      latestDomain: 'wikipedia.org',
    });
  });

  it.skipIf(skip)('answers GET /presence with the PROTOCOL.md shape', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await open('carol');
    bob.update('https://developer.mozilla.org/en-US/docs/Web', 'MDN');
    await alice.next(is.update('bob'), 'bob’s update');
    const token = await local.issueToken('alice');

    const response = await get('/presence', token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as {
      userPresence: Frame;
      presenceArr: { userId: string; page: unknown; latestPage: unknown }[];
      userInfoMap: Record<string, Frame>;
    };
    expect(body.userPresence).toStrictEqual({
      userId: 'alice',
      page: { url: '', title: '', domain: '' },
      latestPage: { url: '', title: '', domain: '' },
    });
    const ids = body.presenceArr.map((p) => p.userId).sort();
    expect(ids).toEqual(['8f14e45f-ceea-467f-a8d6-5c2b1e3d9a70', 'bob', 'carol', 'dave', 'erin']);
    const byId = Object.fromEntries(body.presenceArr.map((p) => [p.userId, p]));
    expect(byId.bob).toStrictEqual({
      userId: 'bob',
      page: {
        url: 'https://developer.mozilla.org/en-US/docs/Web',
        title: 'MDN',
        domain: 'mozilla.org',
      },
      latestPage: {
        url: 'https://developer.mozilla.org/en-US/docs/Web',
        title: 'MDN',
        domain: 'mozilla.org',
      },
    });
    expect(byId.carol).toStrictEqual({
      userId: 'carol',
      page: { url: '', title: '', domain: '' },
      latestPage: { url: '', title: '', domain: '' },
    });
    expect(byId.dave).toStrictEqual({
      userId: 'dave',
      page: null,
      latestPage: null,
      lastSeenAt: null,
    });
    expect(Object.keys(body.userInfoMap).sort()).toEqual(['alice', ...ids].sort());
    expect(body.userInfoMap.alice).toStrictEqual({
      user_id: 'alice',
      first_name: 'Alice',
      last_name: 'Martin',
      profile_image_extension: 'png',
    });
    expect(body.userInfoMap.carol?.profile_image_extension).toBeNull();

    // `Bearer <jwt>` is accepted too; the header name is case-insensitive.
    const bearer = await fetch(`${local.url}/presence`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bearer.status).toBe(200);
  });

  it.skipIf(skip)(
    'answers GET /presence/{userId} for self and friends, 403 for strangers',
    async () => {
      const bob = await open('bob');
      bob.update('https://stackoverflow.com/questions', 'Questions');
      await bob.next(is.update('bob'), 'bob’s echo');
      const alice = await local.issueToken('alice');

      const friend = await get('/presence/bob', alice);
      expect(friend.status).toBe(200);
      expect(await friend.json()).toStrictEqual({
        url: 'https://stackoverflow.com/questions',
        title: 'Questions',
      });

      const offline = await get('/presence/dave', alice);
      expect(offline.status).toBe(200);
      expect(await offline.text()).toBe('');

      const self = await get('/presence/alice', alice);
      expect(self.status).toBe(200);

      const stranger = await get('/presence/judy', alice);
      expect(stranger.status).toBe(403);
      expect(await stranger.text()).toBe('Forbidden access to user presence');

      // A pending request is not a friendship.
      expect((await get('/presence/frank', alice)).status).toBe(403);
      // URL-encoded ids reach the handler decoded.
      const federated = await local.issueToken('ivan');
      expect((await get('/presence/google_117429865182265482928', federated)).status).toBe(200);
    },
  );

  it.skipIf(skip)(
    'refuses REST calls without a valid token and answers CORS preflights',
    async () => {
      expect((await get('/presence')).status).toBe(401);
      expect((await get('/presence', 'garbage')).status).toBe(401);
      const expired = await local.issueToken('alice', { expiresInSeconds: -120 });
      expect((await get('/presence', expired)).status).toBe(401);

      const preflight = await fetch(`${local.url}/presence`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:4200',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);

      const token = await local.issueToken('alice');
      const allowed = await get('/presence', token, { Origin: 'http://localhost:4200' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
      const foreign = await get('/presence', token, { Origin: 'https://evil.example' });
      expect(foreign.status).toBe(200);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  it.skipIf(skip)(
    'closing one of two tabs is silent; closing the last sends presence-timeout once per connection',
    async () => {
      const bob = await open('bob');
      const bobTab2 = await open('bob', 'bob tab 2');
      const alice = await open('alice');
      const aliceTab2 = await open('alice', 'alice tab 2');
      const judy = await open('judy');

      await aliceTab2.close();
      await local.settle();
      await bob.barrier();
      expect(bob.frames.filter(is.timeout('alice'))).toEqual([]);

      // Still online: an update from the remaining tab reaches bob.
      alice.update('https://example.com/', 'Example');
      await bob.next(is.update('alice'), 'update from the remaining tab');

      await alice.close();
      // Her last activity is the $disconnect (the driven clock stands still), rounded down.
      const lastSeenAt = roundedToFiveMinutes(clock.now());
      expect(await bob.next(is.timeout('alice'), 'presence-timeout')).toStrictEqual({
        type: 'presence-timeout',
        userId: 'alice',
        lastSeenAt,
      });
      await bobTab2.next(is.timeout('alice'), 'presence-timeout on tab 2');
      await local.settle();
      await bob.barrier();
      await bobTab2.barrier();
      await judy.barrier();
      expect(bob.frames.filter(is.timeout('alice'))).toHaveLength(1);
      expect(bobTab2.frames.filter(is.timeout('alice'))).toHaveLength(1);
      expect(judy.frames.filter(is.timeout('alice'))).toEqual([]);

      const token = await local.issueToken('bob');
      const body = (await (await get('/presence', token)).json()) as { presenceArr: Frame[] };
      expect(body.presenceArr.find((p) => p.userId === 'alice')).toStrictEqual({
        userId: 'alice',
        page: null,
        latestPage: null,
        lastSeenAt,
      });
    },
  );

  it.skipIf(skip)(
    'sweeps a silent client with the timeout handler and closes its socket',
    async () => {
      const bob = await open('bob');
      const alice = await open('alice');
      const aliceSeen = clock.now(); // her last activity: the sweep's time is never shown
      const heidi = await open('heidi');

      clock.advance(100_000);
      bob.send({ action: 'heartbeat' });
      heidi.update('https://developer.mozilla.org/', 'MDN');
      await bob.barrier();
      await heidi.next(is.update('heidi'), 'heidi’s echo');

      clock.advance((TIMEOUT_SECONDS - 100) * 1000 + 1000);
      const report = await local.sweepNow();
      expect(report).toMatchObject({ expired: 1, offline: 1, closed: 1, done: true });

      expect(await bob.next(is.timeout('alice'), 'alice swept')).toStrictEqual({
        type: 'presence-timeout',
        userId: 'alice',
        lastSeenAt: roundedToFiveMinutes(aliceSeen),
      });
      const closed = await within(alice.closed, 'alice’s socket to be closed');
      expect(closed.code).toBe(1000);

      // Its $disconnect finds nothing left: no second presence-timeout.
      await within(
        (async () => {
          while (local.connections > 2) await new Promise((r) => setImmediate(r));
          await local.settle();
        })(),
        'alice’s $disconnect',
      );
      await bob.barrier();
      expect(bob.frames.filter(is.timeout('alice'))).toHaveLength(1);
      // Heartbeats kept bob online; heidi's update kept her online.
      expect(heidi.frames.filter(is.timeout('bob'))).toEqual([]);
      const again = await local.sweepNow();
      expect(again.expired).toBe(0);
    },
  );

  it.skipIf(skip)(
    'answers malformed, unknown and oversized frames with JSON error frames only',
    async () => {
      const alice = await open('alice');
      const bob = await open('bob');

      const bad = [
        'not json at all',
        '{"action":',
        '[]',
        'null',
        '{"action":"teleport"}',
        '{"no":"action"}',
        '{"action":"update-presence","url":"https://example.com/"}',
        '{"action":"update-presence","url":42,"title":"x"}',
        JSON.stringify({
          action: 'update-presence',
          url: `https://example.com/${'a'.repeat(9000)}`,
          title: 'big',
        }),
        JSON.stringify({
          action: 'update-presence',
          url: 'https://example.com/',
          title: 't'.repeat(600),
        }),
      ];
      for (const frame of bad) {
        alice.send(frame);
        const reply = await alice.next(is.error, `error frame for ${frame.slice(0, 40)}`);
        expect(reply).toMatchObject({
          type: 'error',
          code: expect.any(String),
          message: expect.any(String),
        });
      }
      // Binary frames are not part of the protocol.
      alice.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      await alice.next(is.error, 'error frame for a binary frame');

      // Nothing else happened, and the connection still works for everyone.
      await bob.barrier();
      expect(bob.frames.filter((f) => f.userId === 'alice')).toEqual([]);
      alice.update('https://example.org/', 'Fine');
      await bob.next(
        is.update('alice', 'https://example.org/'),
        'a valid update after the bad ones',
      );
      expect(alice.ws.readyState).toBe(alice.ws.OPEN);
    },
  );

  it.skipIf(skip)('refuses connects with bad tokens with 401 or 403, never 500', async () => {
    expect(await refusedStatus(local.wsUrl, undefined)).toBe(401);
    expect(await refusedStatus(local.wsUrl, '')).toBe(401);
    const statuses = [
      await refusedStatus(local.wsUrl, 'garbage'),
      await refusedStatus(local.wsUrl, 'a.b.c'),
      await refusedStatus(local.wsUrl, await local.issueToken('alice', { expiresInSeconds: -120 })),
      await refusedStatus(
        local.wsUrl,
        await local.issueToken('alice', { issuer: 'https://evil.example' }),
      ),
      await refusedStatus(local.wsUrl, await local.issueToken('alice', { tokenUse: 'access' })),
    ];
    for (const status of statuses) expect([401, 403]).toContain(status);

    // The server is unharmed: a good token still connects.
    const alice = await open('alice');
    alice.send({ action: 'heartbeat' });
    await alice.barrier();
  });

  it.skipIf(skip)(
    'answers 410 GoneException to a post for an unknown connection id (GET and DELETE: gateway-behaviour.test.ts)',
    async () => {
      const alice = await open('alice');
      const bob = await open('bob');
      const unknown = await fetch(
        `${local.url}/@connections/${encodeURIComponent('AAAAAAAAAAAAAAA=')}`,
        {
          method: 'POST',
          body: '{}',
        },
      );
      expect(unknown.status).toBe(410);
      expect(unknown.headers.get('x-amzn-errortype')).toBe('GoneException');

      alice.update('https://example.com/', 'Example');
      await alice.next(is.update('alice'), 'echo');
      // The handlers post to every connection of the user: find alice's id through bob's view.
      expect(local.connections).toBe(2);
      await bob.next(is.update('alice'), 'bob sees alice');
    },
  );
});

const quietLogger = {
  debug() {},
  info() {},
  warn(fields: Record<string, unknown>, message: string) {
    if (process.env.PRESENCE_TEST_VERBOSE) console.warn(message, fields);
  },
  error(fields: Record<string, unknown>, message: string) {
    console.error(message, fields);
  },
};
