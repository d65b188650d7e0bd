import { describe, expect, it } from 'vitest';
import { threadStatCpuTicks } from '../src/phases/step-limits.js';

describe('threadStatCpuTicks', () => {
  it('adds utime and stime (fields 14 and 15)', () => {
    const stat =
      '4242 (node) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 20000';
    expect(threadStatCpuTicks(stat)).toBe(1234 + 567);
  });

  it('counts fields after the last parenthesis: a command name may hold spaces and parentheses', () => {
    const stat = '7 (my (odd) name) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5 0 0';
    expect(threadStatCpuTicks(stat)).toBe(30);
  });

  it('is undefined for a line it cannot read', () => {
    expect(threadStatCpuTicks('garbage')).toBeUndefined();
    expect(threadStatCpuTicks('1 (x) S 1')).toBeUndefined();
  });
});
