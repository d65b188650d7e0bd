import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GatewayStandIn, startGatewayStandIn } from '../src/gateway-stand-in.js';

// The worker thread loads built JavaScript: the test uses the one tsup emits (turbo builds the
// bench before its tests), which also proves that the build emits it.
const WORKER = new URL('../dist/gateway-stand-in-worker.js', import.meta.url);

describe('gateway stand-in (worker thread)', () => {
  let gateway: GatewayStandIn | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('answers 200 to POST and DELETE on /@connections/{id}, 404 to anything else, and counts them', async () => {
    // Prepare
    gateway = await startGatewayStandIn(0, WORKER);
    const url = (path: string) => `${gateway?.endpoint}${path}`;

    // Act
    const raw = await fetch(url('/prod/@connections/abc='), { method: 'POST', body: 'x' });
    const del = await fetch(url('/prod/@connections/abc='), { method: 'DELETE' });
    const get = await fetch(url('/prod/@connections/abc='));
    const elsewhere = await fetch(url('/prod/other'), { method: 'POST', body: 'x' });

    // Assess
    expect([raw.status, del.status, get.status, elsewhere.status]).toEqual([200, 200, 404, 404]);
    expect(gateway.counts).toEqual({ post: 1, delete: 1, other: 2 });
    gateway.reset();
    expect(gateway.counts).toEqual({ post: 0, delete: 0, other: 0 });
  });

  it('holds each request for the set latency, on a timer, so requests in flight overlap', async () => {
    // Prepare: a latency far longer than the test, so that no answer can come before the check.
    gateway = await startGatewayStandIn(0, WORKER);
    gateway.setLatency(60_000);
    const endpoint = gateway.endpoint;
    const abort = new AbortController();
    let answered = 0;

    // Act: eight requests at once; wait (bounded) until the worker has counted all of them.
    const requests = Array.from({ length: 8 }, (_, i) =>
      fetch(`${endpoint}/prod/@connections/c${i}`, {
        method: 'POST',
        body: 'x',
        signal: abort.signal,
      }).then(
        () => {
          answered += 1;
        },
        () => undefined,
      ),
    );
    await vi.waitFor(() => expect(gateway?.counts.post).toBe(8), { timeout: 10_000 });

    // Assess: all eight are in the worker at the same time and none has been answered yet.
    expect(gateway.latencyMs).toBe(60_000);
    expect(answered).toBe(0);
    abort.abort();
    await Promise.all(requests);
    expect(answered).toBe(0);
  });

  it('answers at once again when the latency is set back to 0', async () => {
    // Prepare
    gateway = await startGatewayStandIn(0, WORKER);
    gateway.setLatency(60_000);
    gateway.setLatency(0);

    // Act
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        fetch(`${gateway?.endpoint}/prod/@connections/d${i}`, { method: 'POST', body: 'x' }),
      ),
    );

    // Assess: answered (a 60 s hold would have outlived the test's own timeout)
    expect(answers.map((a) => a.status)).toEqual(Array(4).fill(200));
    expect(gateway.counts.post).toBe(4);
  });

  it('refuses a negative latency and closes idempotently', async () => {
    gateway = await startGatewayStandIn(0, WORKER);
    expect(() => gateway?.setLatency(-1)).toThrow(RangeError);
    await gateway.close();
    await gateway.close();
  });

  it('names the missing worker file and the build command', async () => {
    await expect(
      startGatewayStandIn(0, new URL('../dist/no-such-worker.js', import.meta.url)),
    ).rejects.toThrow(/pnpm --filter @presence\/bench build/);
  });
});
