import { describe, expect, it } from 'vitest';
import {
  cpuMicrosPer,
  growthPer10x,
  percentile,
  ratio,
  sequentialRate,
  summarize,
} from '../src/stats.js';

describe('percentile', () => {
  it('uses the nearest rank on a sorted copy', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 0)).toBe(1);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });

  it('gives the 99th percentile of 1..1000 as 990', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(990);
  });

  it('is NaN for no values and rejects a bad p', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('computes throughput and percentiles from latencies', () => {
    const stats = summarize([1, 2, 3, 4], 2000, 1);
    expect(stats).toMatchObject({ ops: 4, errors: 1, opsPerSec: 2, p50Ms: 2, p99Ms: 4 });
  });
});

describe('growthPer10x', () => {
  it('is 10 for linear cost, 1 for constant, 100 for quadratic', () => {
    const linear = growthPer10x([
      { size: 10, cost: 1 },
      { size: 100, cost: 10 },
    ]);
    expect(linear[0]).toBeUndefined();
    expect(linear[1]).toBeCloseTo(10);
    expect(
      growthPer10x([
        { size: 1, cost: 5 },
        { size: 10, cost: 5 },
      ])[1],
    ).toBeCloseTo(1);
    expect(
      growthPer10x([
        { size: 10, cost: 1 },
        { size: 100, cost: 100 },
      ])[1],
    ).toBeCloseTo(100);
  });

  it('normalises steps that are not 10× (1,000 → 5,000 friends)', () => {
    const [, g] = growthPer10x([
      { size: 1000, cost: 2 },
      { size: 5000, cost: 10 },
    ]);
    expect(g).toBeCloseTo(10);
  });

  it('has no factor for a zero cost', () => {
    expect(
      growthPer10x([
        { size: 1, cost: 0 },
        { size: 10, cost: 1 },
      ])[1],
    ).toBeUndefined();
  });
});

describe('ratio', () => {
  it('is undefined when a side is missing or the divisor is 0', () => {
    expect(ratio(10, 5)).toBe(2);
    expect(ratio(undefined, 5)).toBeUndefined();
    expect(ratio(10, 0)).toBeUndefined();
  });
});

describe('sequentialRate', () => {
  it('adds the time per operation of each step', () => {
    expect(sequentialRate([1000, 1000])).toBeCloseTo(500);
    expect(sequentialRate([1000, 4000])).toBeCloseTo(800);
    expect(sequentialRate([250])).toBeCloseTo(250);
    expect(sequentialRate([100, 200, 200])).toBeCloseTo(50);
  });

  it('is undefined for a missing, zero or non-finite step', () => {
    expect(sequentialRate([])).toBeUndefined();
    expect(sequentialRate([1000, undefined])).toBeUndefined();
    expect(sequentialRate([1000, 0])).toBeUndefined();
    expect(sequentialRate([Number.NaN])).toBeUndefined();
    expect(sequentialRate([Number.POSITIVE_INFINITY])).toBeUndefined();
  });
});

describe('cpuMicrosPer', () => {
  it('divides user + system CPU by the units done', () => {
    expect(cpuMicrosPer({ user: 300, system: 100 }, 2)).toBe(200);
    expect(cpuMicrosPer({ user: 300, system: 100 }, 0)).toBeUndefined();
  });
});
