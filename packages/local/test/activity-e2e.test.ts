import { FakeClock } from '@presence/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPresence, startLocalPresence } from '../src/index.js';
import { type Frame, is, TestClient, within } from './support/ws-client.js';

// Issue 14's proof, end to end through presence-local: the real @presence/lambda handlers (the
// recording WebSocket functions, GET /presence, GET and DELETE /activity) behind the local API
// Gateway, real `ws` clients and fetch, the in-memory activity history, a driven clock.

const TIMEOUT_SECONDS = 180;
const roundedToFiveMinutes = (ms: number) => new Date(ms - (ms % 300_000)).toISOString();
const GITHUB = { url: 'https://github.com/explore', title: 'Explore GitHub' };
const SECRET = { url: 'https://secret.example.org/diagnosis', title: 'Private diagnosis' };
const MDN = { url: 'https://developer.mozilla.org/', title: 'MDN' };

interface ActivityBody {
  entries: { id: string; at: string; type: string; page?: { url: string; title: string } }[];
  nextCursor: string | null;
}

describe('activity history through presence-local (issue 14)', () => {
  let local: LocalPresence;
  const clock = new FakeClock(Date.UTC(2026, 0, 15, 9, 3, 20));
  const clients: TestClient[] = [];
  const warnings: string[] = [];

  const open = async (userId: string) => {
    const client = await TestClient.open(local.wsUrl, await local.issueToken(userId), userId);
    clients.push(client);
    return client;
  };
  const request = async (method: string, path: string, userId?: string) =>
    fetch(`${local.url}${path}`, {
      method,
      headers: userId === undefined ? {} : { Authorization: await local.issueToken(userId) },
    });

  beforeAll(async () => {
    local = await startLocalPresence({
      port: 0,
      timeoutSeconds: TIMEOUT_SECONDS,
      sweepIntervalSeconds: 0,
      clock,
      keyFile: false,
      logger: {
        debug() {},
        info() {},
        warn: (_fields, message) => warnings.push(message),
        error: (_fields, message) => warnings.push(message),
      },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await local.settle();
  });
  afterAll(async () => {
    await local?.close();
  });

  it('a friend goes offline: the timeout frame and GET /presence carry the rounded lastSeenAt; GET /activity lists the shared pages only; DELETE empties it; a stranger gets 403', async () => {
    expect(local.activityKind).toBe('memory');
    const bob = await open('bob');
    const alice = await open('alice');
    const onlineAt = clock.now();

    clock.advance(20_000);
    const githubAt = clock.now();
    alice.update(GITHUB.url, GITHUB.title);
    await bob.next(is.update('alice', GITHUB.url), 'alice on GitHub');
    clock.advance(20_000);
    // A page alice hides: friends see "activity hidden", and the history never records it.
    alice.send({ action: 'update-presence', url: '', title: SECRET.title });
    await bob.next(
      (f: Frame) => f.type === 'update-presence' && f.userId === 'alice' && f.url === '',
      'alice hidden',
    );
    clock.advance(20_000);
    const mdnAt = clock.now();
    alice.update(MDN.url, MDN.title);
    await bob.next(is.update('alice', MDN.url), 'alice on MDN');
    const lastActivity = clock.now();

    // Alice goes silent; bob keeps heart-beating; the sweep takes her offline.
    clock.advance(100_000);
    bob.send({ action: 'heartbeat' });
    await bob.barrier();
    clock.advance((TIMEOUT_SECONDS - 100) * 1000 + 1000);
    expect(await local.sweepNow()).toMatchObject({ offline: 1 });
    const lastSeenAt = roundedToFiveMinutes(lastActivity);
    expect(await bob.next(is.timeout('alice'), 'alice timed out')).toStrictEqual({
      type: 'presence-timeout',
      userId: 'alice',
      lastSeenAt,
    });
    await within(alice.closed, 'alice’s socket closed by the sweep');
    await local.settle();

    const presence = (await (await request('GET', '/presence', 'bob')).json()) as {
      presenceArr: Frame[];
    };
    expect(presence.presenceArr.find((p) => p.userId === 'alice')).toStrictEqual({
      userId: 'alice',
      page: null,
      latestPage: null,
      lastSeenAt,
    });

    const listed = await request('GET', '/activity', 'alice');
    expect(listed.status).toBe(200);
    expect(listed.headers.get('cache-control')).toBe('no-store');
    const body = (await listed.json()) as ActivityBody;
    expect(body.nextCursor).toBeNull();
    expect(body.entries.map(({ at, type, page }) => ({ at, type, page }))).toEqual([
      { at: new Date(lastActivity).toISOString(), type: 'offline', page: undefined },
      {
        at: new Date(mdnAt).toISOString(),
        type: 'update-presence',
        page: { url: MDN.url, title: MDN.title, domain: 'mozilla.org' },
      },
      {
        at: new Date(githubAt).toISOString(),
        type: 'update-presence',
        page: { url: GITHUB.url, title: GITHUB.title, domain: 'github.com' },
      },
      { at: new Date(onlineAt).toISOString(), type: 'online', page: undefined },
    ]);
    expect(JSON.stringify(body)).not.toContain(SECRET.title);

    // Paging through presence-local's query string.
    const first = (await (
      await request('GET', '/activity?limit=3', 'alice')
    ).json()) as ActivityBody;
    expect(first.entries).toHaveLength(3);
    const rest = (await (
      await request(
        'GET',
        `/activity?limit=3&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
        'alice',
      )
    ).json()) as ActivityBody;
    expect(rest).toEqual({
      entries: [expect.objectContaining({ type: 'online' })],
      nextCursor: null,
    });
    expect((await request('GET', '/activity?limit=0', 'alice')).status).toBe(400);

    // A stranger (and a friend alike) may neither read nor erase alice's history.
    for (const method of ['GET', 'DELETE']) {
      const refused = await request(method, '/activity?userId=alice', 'bob');
      expect(refused.status, method).toBe(403);
    }
    expect((await request('GET', '/activity', undefined)).status).toBe(401);

    const erased = await request('DELETE', '/activity', 'alice');
    expect(erased.status).toBe(204);
    expect(await erased.text()).toBe('');
    expect(await (await request('GET', '/activity', 'alice')).json()).toEqual({
      entries: [],
      nextCursor: null,
    });
    expect(warnings).toEqual([]);
  });

  it('answers the browser preflight of /activity with DELETE allowed', async () => {
    const preflight = await fetch(`${local.url}/activity`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:4200',
        'Access-Control-Request-Method': 'DELETE',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
  });
});

describe('presence-local with the history off', () => {
  it('answers /activity with 404 not_found', async () => {
    const local = await startLocalPresence({
      port: 0,
      sweepIntervalSeconds: 0,
      keyFile: false,
      activityHistory: false,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      expect(local.activityKind).toBe('off');
      const response = await fetch(`${local.url}/activity`, {
        headers: { Authorization: await local.issueToken('alice') },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        code: 'not_found',
        message: 'activity history is not enabled',
      });
    } finally {
      await local.close();
    }
  });
});
