import { afterEach, describe, expect, it } from 'vitest';
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

  it('answers after the set latency, on a timer, so requests in flight overlap', async () => {
    // Prepare
    gateway = await startGatewayStandIn(0, WORKER);
    gateway.setLatency(150);
    const endpoint = gateway.endpoint;

    // Act
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        fetch(`${endpoint}/prod/@connections/c${i}`, { method: 'POST', body: 'x' }),
      ),
    );
    const elapsed = performance.now() - started;

    // Assess
    expect(gateway.latencyMs).toBe(150);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(8 * 150);
    expect(gateway.counts.post).toBe(8);
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
