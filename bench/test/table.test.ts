import { describe, expect, it } from 'vitest';
import { renderBar } from '../src/progress.js';
import { parseRedisBenchmark } from '../src/redis-tools.js';
import { formatNumber, formatRatio, renderMarkdownTable } from '../src/table.js';

describe('formatNumber', () => {
  it('groups thousands and keeps 3 significant digits below 100', () => {
    expect(formatNumber(123456.7)).toBe('123,457');
    expect(formatNumber(42.123)).toBe('42.1');
    expect(formatNumber(4.2)).toBe('4.20');
    expect(formatNumber(0.0123)).toBe('0.012');
    expect(formatNumber(undefined)).toBe('-');
    expect(formatRatio(25)).toBe('25.0×');
  });
});

describe('renderMarkdownTable', () => {
  it('renders one aligned row per result, with missing numbers as -', () => {
    const table = renderMarkdownTable([
      {
        section: 'handlers',
        name: 'heartbeat',
        callers: 16,
        opsPerSec: 41000,
        p50Ms: 0.3,
        p99Ms: 1.2,
        versus: 'limit',
        ratio: 0.85,
      },
      { section: 'local', name: 'ws | clients', note: 'not measured: why' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| section +\| measurement +\| callers \| +ops\/s/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+: \|/);
    expect(lines[2]).toContain('41,000');
    expect(lines[2]).toContain('0.85×');
    expect(lines[3]).toContain('ws \\| clients');
    expect(lines[3]).toContain('not measured: why');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('renderBar', () => {
  it('fills proportionally and clamps', () => {
    expect(renderBar(0.5, 10)).toBe('[#####.....]  50%');
    expect(renderBar(2, 4)).toBe('[####] 100%');
    expect(renderBar(Number.NaN, 4)).toBe('[....]   0%');
  });
});

describe('parseRedisBenchmark', () => {
  it('reads the final figure of each test, keys with colons included', () => {
    const out =
      'ZADD bench-1:rb:zset __rand_int__ member:__rand_int__: rps=1000.0 (overall: 900.0) avg_msec=0.1\r' +
      'ZADD bench-1:rb:zset __rand_int__ member:__rand_int__: 123456.79 requests per second, p50=0.063 msec\n';
    const parsed = parseRedisBenchmark(out);
    expect([...parsed.values()]).toEqual([{ rps: 123456.79, p50Ms: 0.063 }]);
  });
});
