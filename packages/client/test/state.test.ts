import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flush, harness, presenceBody, updateFrame, wirePresence } from './support/harness.js';

// The friends map: kept by frames and GET /presence snapshots, resynced after every reconnect;
// frames are state, so repeats change nothing. Fake sockets, driven clock.

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const github = { url: 'https://github.com/explore', title: 'Explore GitHub', domain: 'github.com' };
const wiki = {
  url: 'https://en.wikipedia.org/wiki/X',
  title: 'X - Wikipedia',
  domain: 'wikipedia.org',
};

/** A client connected to a server whose GET /presence lists bob on GitHub, dave online hidden, erin offline. */
async function connected(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  h.answer({
    status: 200,
    body: presenceBody([
      wirePresence('bob', github),
      wirePresence('dave', { url: '', title: '', domain: '' }),
      wirePresence('erin', null),
    ]),
  });
  await flush();
  h.last.accept();
  await flush();
  return h;
}

describe('the friends map', () => {
  it('starts from GET /presence with profiles, and reports online friends and self', async () => {
    const h = await connected();
    expect(h.view()).toEqual({ bob: 'Explore GitHub', dave: 'hidden', erin: 'offline' });
    expect(h.client.friends.get('bob')).toEqual({
      userId: 'bob',
      page: github,
      latestPage: github,
      profile: { firstName: 'BOB', lastName: 'Test', imageExtension: null },
    });
    expect(h.client.self?.userId).toBe('alice');
    expect((h.of('update') as { userId: string }[]).map((f) => f.userId)).toEqual(['bob', 'dave']);
    expect(h.of('offline')).toEqual([]);
    expect(h.of('self')).toHaveLength(1);
    h.client.close();
    expect(h.client.friends.size).toBe(0);
  });

  it('follows frames; a repeated frame changes nothing and fires no event', async () => {
    const h = await connected();
    const before = h.events.length;
    h.last.receive(updateFrame('bob', wiki.url, wiki.title, wiki.domain));
    h.last.receive(updateFrame('bob', wiki.url, wiki.title, wiki.domain));
    h.last.receive({ type: 'presence-timeout', userId: 'dave' });
    h.last.receive({ type: 'presence-timeout', userId: 'dave' });
    h.last.receive({ type: 'presence-timeout', userId: 'erin' }); // already offline
    h.last.receive({ type: 'presence-timeout', userId: 'mallory' }); // unknown: nothing to do
    expect(h.view()).toEqual({ bob: 'X - Wikipedia', dave: 'offline', erin: 'offline' });
    expect(
      h.events.slice(before).map((e) => [e.type, (e.value as { userId: string }).userId]),
    ).toEqual([
      ['update', 'bob'],
      ['offline', 'dave'],
    ]);
    // Frames carry no profile: the one from GET /presence stays.
    expect(h.client.friends.get('bob')?.profile?.firstName).toBe('BOB');
    h.client.close();
  });

  it('shows the echo of the user’s own page as self, not as a friend', async () => {
    const h = await connected();
    h.last.receive(updateFrame('alice', github.url, github.title, github.domain));
    expect(h.client.friends.has('alice')).toBe(false);
    expect(h.client.self?.page).toEqual(github);
    expect(h.of('self')).toHaveLength(2);
    h.client.close();
  });

  it('ignores unknown frame types, non-JSON and malformed frames; keeps additive fields', async () => {
    const h = await connected();
    const frames: unknown[] = [];
    h.client.on('frame', (f) => frames.push(f));
    const before = h.events.length;
    h.last.receive({ type: 'typing', userId: 'bob' });
    h.last.receive('not json');
    h.last.receive({ type: 'update-presence', userId: 'bob' }); // no url
    h.last.receive([1, 2]);
    expect(h.events.slice(before)).toEqual([]);
    expect(h.view()).toEqual({ bob: 'Explore GitHub', dave: 'hidden', erin: 'offline' });
    expect(frames).toHaveLength(2);
    // A later server adds lastSeenAt to presence-timeout: kept in the map.
    h.last.receive({ type: 'presence-timeout', userId: 'bob', lastSeenAt: '2026-11-30T09:00:00Z' });
    expect(h.client.friends.get('bob')).toMatchObject({
      page: null,
      lastSeenAt: '2026-11-30T09:00:00Z',
    });
    // ...and to offline presences in GET /presence.
    h.answer({
      status: 200,
      body: presenceBody([{ ...wirePresence('erin', null), lastSeenAt: '2026-11-30T08:55:00Z' }]),
    });
    await h.client.refresh();
    expect(h.client.friends.get('erin')?.lastSeenAt).toBe('2026-11-30T08:55:00Z');
    h.client.close();
  });

  it('reports error frames and API Gateway’s internal error frame as server errors, and stays open', async () => {
    const h = await connected();
    h.last.receive({ type: 'error', code: 'invalid_frame', message: 'frame is not valid JSON' });
    h.last.receive({ message: 'Internal server error', connectionId: 'x', requestId: 'y' });
    expect(h.errors.map((e) => [e.code, e.serverCode])).toEqual([
      ['server', 'invalid_frame'],
      ['server', undefined],
    ]);
    expect(h.client.status).toBe('open');
    h.client.close();
  });
});

describe('setPage', () => {
  it('sends update-presence only when the page changed, and null hides the activity', async () => {
    const h = await connected();
    h.client.setPage({ url: github.url, title: github.title });
    h.client.setPage({ url: github.url, title: github.title });
    h.client.setPage({ url: wiki.url, title: wiki.title });
    h.client.setPage({ url: wiki.url, title: wiki.title });
    h.client.setPage(null);
    h.client.setPage({ url: '', title: '' });
    expect(h.last.frames).toEqual([
      { action: 'update-presence', url: github.url, title: github.title },
      { action: 'update-presence', url: wiki.url, title: wiki.title },
      { action: 'update-presence', url: '', title: '' },
    ]);
    expect(() => h.client.setPage({ url: 1 } as never)).toThrow(TypeError);
    h.client.close();
  });

  it('keeps a page set before the connection opens and sends it once it does', async () => {
    const h = harness();
    h.client.setPage({ url: github.url, title: github.title });
    await flush();
    h.last.accept();
    h.client.setPage({ url: github.url, title: github.title });
    expect(h.last.frames).toEqual([
      { action: 'update-presence', url: github.url, title: github.title },
    ]);
    h.client.close();
  });
});

describe('resync after a gap', () => {
  it('re-sends the page and reconciles with GET /presence, whatever was missed while disconnected', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const h = await connected();
    h.client.setPage({ url: github.url, title: github.title });
    const first = h.last;
    first.drop(1001);
    await flush();
    expect(h.client.status).toBe('reconnecting');
    // While disconnected: bob moved to Wikipedia, dave left, erin came online; nobody told us.
    h.answer({
      status: 200,
      body: presenceBody([
        wirePresence('bob', wiki),
        wirePresence('dave', null),
        wirePresence('erin', github),
      ]),
    });
    const before = h.events.length;
    h.last.accept();
    await flush();
    expect(h.last).not.toBe(first);
    expect(h.last.frames).toEqual([
      { action: 'update-presence', url: github.url, title: github.title },
    ]);
    expect(h.view()).toEqual({ bob: 'X - Wikipedia', dave: 'offline', erin: 'Explore GitHub' });
    expect(
      h.events
        .slice(before)
        .map((e) => [e.type, (e.value as { userId?: string }).userId ?? e.value]),
    ).toEqual([
      ['status', 'open'],
      ['update', 'bob'],
      ['offline', 'dave'],
      ['update', 'erin'],
    ]);
    h.client.close();
  });

  it('keeps frames heard while GET /presence is in flight over the older snapshot', async () => {
    let answer!: (body: unknown) => void;
    // The snapshot is computed before bob's change but answers after his frame arrived.
    const slow = new Promise<unknown>((resolve) => {
      answer = resolve;
    });
    const h2 = harness({
      fetch: async () => ({ ok: true, status: 200, json: () => slow }),
    });
    await flush();
    h2.last.accept();
    h2.last.receive(updateFrame('bob', wiki.url, wiki.title, wiki.domain));
    h2.last.receive(updateFrame('alice', github.url, github.title, github.domain));
    answer(presenceBody([wirePresence('bob', github), wirePresence('dave', github)]));
    await flush();
    expect(h2.view()).toEqual({ bob: 'X - Wikipedia', dave: 'Explore GitHub' });
    expect(h2.client.friends.get('bob')?.profile?.firstName).toBe('BOB');
    expect(h2.client.self?.page).toEqual(github);
    h2.client.close();
  });

  it('retries a failed GET /presence with backoff while connected, reporting each failure', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const h = harness();
    h.answerOnce({ status: 503 }, 'network-error', { status: 200, body: { nonsense: true } });
    h.answer({ status: 200, body: presenceBody([wirePresence('bob', github)]) });
    await flush();
    h.last.accept();
    await flush();
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([['server', 503]]);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.errors.map((e) => e.code)).toEqual(['server', 'network']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.errors.map((e) => e.code)).toEqual(['server', 'network', 'server']);
    expect(h.view()).toEqual({});
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.view()).toEqual({ bob: 'Explore GitHub' });
    expect(h.client.status).toBe('open');
    h.client.close();
  });

  it('refresh() rejects with the error and leaves the map as it was', async () => {
    const h = await connected();
    h.answer({ status: 500 });
    await expect(h.client.refresh()).rejects.toMatchObject({ code: 'server', status: 500 });
    expect(h.view()).toEqual({ bob: 'Explore GitHub', dave: 'hidden', erin: 'offline' });
    h.client.close();
  });

  it('a friend who left the list while online is reported offline and removed', async () => {
    const h = await connected();
    h.answer({ status: 200, body: presenceBody([wirePresence('erin', null)]) });
    await h.client.refresh();
    expect(h.view()).toEqual({ erin: 'offline' });
    expect(
      (h.of('offline') as { userId: string; page: unknown }[]).map((f) => [f.userId, f.page]),
    ).toEqual([
      ['bob', null],
      ['dave', null],
    ]);
    h.client.close();
  });
});
