import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPresenceClient } from '../src/index.js';
import { flush, harness, presenceBody, wirePresence } from './support/harness.js';

// Connection life with fake sockets and vitest's driven clock (fake timers, Date included): no
// test sleeps, every delay is stepped through.

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Refuses the handshake of the last socket and lets the client's probe answer. */
async function refuseLast(h: ReturnType<typeof harness>) {
  h.last.refuse();
  await flush();
}

describe('backoff', () => {
  it('waits a random time in [0, min(cap, base × 2ⁿ)) before the n-th retry (full jitter)', async () => {
    const random = vi.spyOn(Math, 'random');
    const h = harness({ reconnectDelayMs: 1000, maxReconnectDelayMs: 8000 });
    await flush();
    expect(h.sockets).toHaveLength(1);
    // Ceilings for attempts 0..5 are 1, 2, 4, 8, 8, 8 s; draw just under each ceiling.
    const ceilings = [1000, 2000, 4000, 8000, 8000, 8000];
    for (const [n, ceiling] of ceilings.entries()) {
      random.mockReturnValueOnce(0.999);
      await refuseLast(h);
      const waited = Math.floor(0.999 * ceiling);
      await vi.advanceTimersByTimeAsync(waited - 1);
      expect(h.sockets, `attempt ${n} must still be waiting`).toHaveLength(n + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(h.sockets, `attempt ${n} after ${waited} ms`).toHaveLength(n + 2);
    }
    // The lower bound is 0: a draw of 0 retries at once.
    random.mockReturnValueOnce(0);
    await refuseLast(h);
    expect(h.sockets).toHaveLength(ceilings.length + 2);
    expect(h.client.status).toBe('reconnecting');
    h.client.close();
  });

  it('resets after a connection stayed open for stableAfterMs, not after a short one', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const h = harness({
      reconnectDelayMs: 1000,
      maxReconnectDelayMs: 60_000,
      stableAfterMs: 30_000,
    });
    await flush();
    for (let n = 0; n < 4; n++) {
      await refuseLast(h);
      await vi.advanceTimersByTimeAsync(60_000);
    }
    // Four failures: the next ceiling is 16 s. A connection that lasts 10 s does not reset it.
    h.last.accept();
    await vi.advanceTimersByTimeAsync(10_000);
    const before = h.sockets.length;
    h.last.drop();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(h.sockets).toHaveLength(before);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.sockets).toHaveLength(before + 1);
    // One that lasts 30 s does: the next retry waits under 1 s again.
    h.last.accept();
    await vi.advanceTimersByTimeAsync(30_000);
    h.last.drop();
    await vi.advanceTimersByTimeAsync(998);
    expect(h.sockets).toHaveLength(before + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sockets).toHaveLength(before + 2);
    h.client.close();
  });
});

describe('tokens', () => {
  it('asks a fresh token for every connection and every REST call, raw in ?Authorization=', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const h = harness({ url: 'wss://ws.example.test/prod?stage=1' });
    await flush();
    h.last.accept();
    await flush();
    h.last.drop();
    await flush();
    h.last.accept();
    await flush();
    expect(h.sockets.map((s) => s.token)).toEqual(['jwt-1', 'jwt-3']);
    expect(h.sockets[0]?.url).toBe('wss://ws.example.test/prod?stage=1&Authorization=jwt-1');
    expect(h.restCalls).toEqual([
      { url: 'https://api.example.test/prod/presence', token: 'jwt-2' },
      { url: 'https://api.example.test/prod/presence', token: 'jwt-4' },
    ]);
    expect(h.token.mock.calls.every(([context]) => context.forceRefresh === false)).toBe(true);
    h.client.close();
  });

  it('reports a token function that throws, then retries with backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let calls = 0;
    const h = harness({
      token: () => {
        calls += 1;
        if (calls === 1) throw new Error('signed out');
        return 'jwt-ok';
      },
    });
    await flush();
    expect(h.errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([
      ['token', 'signed out'],
    ]);
    expect(h.sockets).toHaveLength(0);
    expect(h.client.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(499);
    expect(h.sockets).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sockets.map((s) => s.token)).toEqual(['jwt-ok']);
    h.client.close();
  });
});

describe('refused tokens (401/403)', () => {
  it('tells a refused token from a network failure by probing GET /presence with the same token', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const h = harness();
    await flush();
    // Server down: the probe cannot connect either. Keep retrying, no error event.
    h.answerOnce('network-error', { status: 503 }, { status: 200, body: presenceBody([]) });
    for (let i = 0; i < 3; i++) await refuseLast(h);
    expect(h.restCalls.map((c) => c.token)).toEqual(['jwt-1', 'jwt-2', 'jwt-3']);
    expect(h.sockets).toHaveLength(4);
    expect(h.errors).toEqual([]);
    expect(h.client.status).toBe('reconnecting');
    h.client.close();
  });

  it('on 401 asks a forced-fresh token once, then stops with an unauthorized error', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const h = harness();
    await flush();
    h.answer({ status: 401, body: { code: 'unauthorized', message: 'expired' } });
    await refuseLast(h);
    expect(h.token.mock.calls.at(-1)?.[0]).toEqual({ forceRefresh: true });
    expect(h.sockets).toHaveLength(2);
    expect(h.sockets[1]?.token).toBe('jwt-2');
    expect(h.errors).toEqual([]);
    await refuseLast(h);
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([['unauthorized', 401]]);
    expect(h.client.status).toBe('closed');
    expect(h.of('status').at(-1)).toBe('closed');
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(h.sockets).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops with a forbidden error on 403, and a fresh token that works resets the one retry', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const h = harness();
    await flush();
    h.answerOnce({ status: 403 });
    await refuseLast(h);
    h.last.accept();
    await flush();
    expect(h.client.status).toBe('open');
    // The one retry is spent per refusal streak: the next refusal gets its own.
    h.last.drop();
    await flush();
    h.answerOnce({ status: 403 }, { status: 403 });
    await refuseLast(h);
    expect(h.errors).toEqual([]);
    await refuseLast(h);
    expect(h.errors.map((e) => e.code)).toEqual(['forbidden']);
    expect(h.client.status).toBe('closed');
  });

  it('a GET /presence refused while connected gets one forced refresh, then stops the client', async () => {
    const h = harness();
    await flush();
    h.answer({ status: 401 });
    h.last.accept();
    await flush();
    expect(h.token.mock.calls.map(([c]) => c.forceRefresh)).toEqual([false, false, true]);
    expect(h.errors.map((e) => e.code)).toEqual(['unauthorized']);
    expect(h.last.closedWith).toBe(1000);
    expect(h.client.status).toBe('closed');
  });
});

describe('heartbeat and keep-alive', () => {
  it('sends a heartbeat after heartbeatMs without a frame sent; a page update resets the wait', async () => {
    const h = harness();
    await flush();
    h.last.accept();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(h.last.frames).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.last.frames).toEqual([{ action: 'heartbeat' }]);
    await vi.advanceTimersByTimeAsync(30_000);
    h.client.setPage({ url: 'https://a.example/', title: 'A' });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(h.last.frames.map((f) => f.action)).toEqual(['heartbeat', 'update-presence']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.last.frames.map((f) => f.action)).toEqual([
      'heartbeat',
      'update-presence',
      'heartbeat',
    ]);
    h.client.close();
  });

  it('keepAliveMs sends a frame every 20 s so an MV3 service worker is not stopped', async () => {
    const h = harness({ keepAliveMs: 20_000 });
    await flush();
    h.last.accept();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.last.frames).toEqual([
      { action: 'heartbeat' },
      { action: 'heartbeat' },
      { action: 'heartbeat' },
    ]);
    h.client.close();
  });

  it('defaults keepAliveMs to 20 s inside a service worker, off elsewhere', async () => {
    vi.stubGlobal(
      'ServiceWorkerGlobalScope',
      class {
        static [Symbol.hasInstance](value: unknown) {
          return value === globalThis;
        }
      },
    );
    try {
      const h = harness();
      await flush();
      h.last.accept();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(h.last.frames).toEqual([{ action: 'heartbeat' }]);
      h.client.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('proactive reconnect before the 2-hour limit', () => {
  it('opens the new connection before closing the old one, re-sends the page and resyncs', async () => {
    const statuses: unknown[] = [];
    const h = harness();
    h.client.on('status', (s) => statuses.push(s));
    h.client.setPage({ url: 'https://a.example/', title: 'A' });
    await flush();
    const first = h.last;
    first.accept();
    await flush();
    await vi.advanceTimersByTimeAsync(110 * 60_000 - 1);
    expect(h.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(h.sockets).toHaveLength(2);
    expect(first.closedWith).toBeUndefined(); // still open while the new one connects
    h.answer({
      status: 200,
      body: presenceBody([
        wirePresence('bob', { url: 'https://b.example/', title: 'B', domain: 'b.example' }),
      ]),
    });
    h.last.accept();
    await flush();
    expect(first.closedWith).toBe(1000);
    expect(h.last.frames).toEqual([
      { action: 'update-presence', url: 'https://a.example/', title: 'A' },
    ]);
    expect(h.view()).toEqual({ bob: 'B' });
    expect(h.restCalls).toHaveLength(2);
    expect(statuses).toEqual(['open']); // never "reconnecting"
    h.client.close();
  });
});

describe('close()', () => {
  it('clears every timer, closes the socket with 1000 and never reconnects', async () => {
    const h = harness({ keepAliveMs: 20_000 });
    h.client.setPage({ url: 'https://a.example/', title: 'A' });
    await flush();
    h.answer({ status: 503 }); // so a resync retry timer is pending too
    h.last.accept();
    await flush();
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(3); // heartbeat, 2-hour rotation, resync retry
    h.client.close();
    h.client.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(h.last.closedWith).toBe(1000);
    expect(h.client.status).toBe('closed');
    expect(h.of('status')).toEqual(['open', 'closed']);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('during a backoff wait cancels the retry', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const h = harness();
    await flush();
    await refuseLast(h);
    expect(vi.getTimerCount()).toBe(1);
    h.client.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('while the handshake is under way closes the new socket', async () => {
    const h = harness();
    await flush();
    h.client.close();
    expect(h.last.closedWith).toBe(1000);
  });
});

describe('options', () => {
  it('refuses URLs of the wrong scheme, a missing token function and a missing WebSocket', () => {
    const token = () => 'jwt';
    const WebSocket = class {} as never;
    expect(() =>
      createPresenceClient({ url: 'https://x', restUrl: 'https://x', token, WebSocket }),
    ).toThrow(/url must be a ws/);
    expect(() =>
      createPresenceClient({ url: 'wss://x', restUrl: 'wss://x', token, WebSocket }),
    ).toThrow(/restUrl must be/);
    expect(() =>
      createPresenceClient({
        url: 'wss://x',
        restUrl: 'https://x',
        token: 'jwt' as never,
        WebSocket,
      }),
    ).toThrow(/token must be a function/);
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => createPresenceClient({ url: 'wss://x', restUrl: 'https://x', token })).toThrow(
        /pass the `WebSocket` option/,
      );
    } finally {
      vi.unstubAllGlobals();
    }
    expect(() =>
      createPresenceClient({
        url: 'wss://x',
        restUrl: 'https://x',
        token,
        WebSocket,
        heartbeatMs: 600_000,
      }),
    ).toThrow(RangeError);
  });
});
