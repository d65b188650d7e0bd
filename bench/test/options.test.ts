import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/options.js';

describe('parseOptions', () => {
  it('defaults to the full run', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({ quick: false, users: 100_000, friends: 50, phaseMs: 5000 });
    expect(o.sweepSizes).toContain(1_000_000);
  });

  it('--quick shrinks the seed and the phases', () => {
    const o = parseOptions(['--quick']);
    expect(o.users).toBe(10_000);
    expect(o.sweepSizes).not.toContain(1_000_000);
    expect(o.fullSweepUsers).toBe(0);
  });

  it('runs post-heavy phases at the base gateway latency and at 20 ms', () => {
    expect(parseOptions([])).toMatchObject({ gatewayLatencyMs: 0, gatewayLatencies: [0, 20] });
    expect(parseOptions(['--gateway-latency-ms', '5'])).toMatchObject({
      gatewayLatencyMs: 5,
      gatewayLatencies: [5, 20],
    });
    expect(parseOptions(['--gateway-latency-ms', '20']).gatewayLatencies).toEqual([20]);
    expect(() => parseOptions(['--gateway-latency-ms', '-1'])).toThrow(/gateway-latency-ms/);
    expect(() => parseOptions(['--gateway-latency-ms'])).toThrow(/needs a value/);
  });

  it('rejects unknown arguments and sections', () => {
    expect(() => parseOptions(['--fast'])).toThrow(/unknown argument/);
    expect(() => parseOptions(['--only', 'nope'])).toThrow(/unknown section/);
    expect(() => parseOptions(['--users', '10'])).toThrow(/at least/);
  });
});
