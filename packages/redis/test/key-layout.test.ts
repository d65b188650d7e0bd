import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { fnv1a32, RedisKeyLayout } from '../src/index.js';

const ODD_IDS = [
  'alice',
  '{alice}',
  '}{',
  '{',
  '}',
  'a{b}c',
  `o'brien "bob"`,
  'carol-ünïcødé-用户-😀',
  '{dave}:tag',
  `google_${'1'.repeat(121)}`,
];

describe('RedisKeyLayout', () => {
  it('puts the user hash and the sweep bucket of every user in one slot, whatever the id holds', () => {
    const layout = new RedisKeyLayout('presence', 64);
    for (const userId of ODD_IDS) {
      const [userKey, bucketKey] = layout.keysOf(userId, 'L0SM9cOFvHcCIhw=');
      expect(calculateSlot(userKey as string), userId).toBe(calculateSlot(bucketKey as string));
      expect(userKey).toBe(`presence:{${layout.bucketOf(userId)}}:u:${userId}`);
    }
  });

  it('derives the tag from a hash of the id, never from the raw id', () => {
    const layout = new RedisKeyLayout('p', 16);
    expect(layout.userKey('{x}')).toMatch(/^p:\{\d+\}:u:\{x\}$/);
    expect(layout.bucketOf('{x}')).toBe(fnv1a32('{x}') % 16);
  });

  it('tags the connection record with the connection id, in a slot of its own', () => {
    const layout = new RedisKeyLayout();
    expect(layout.connectionKey('L0SM9cOFvHcCIhw=')).toBe('presence:c:{L0SM9cOFvHcCIhw=}');
    expect(calculateSlot(layout.connectionKey('L0SM9cOFvHcCIhw='))).toBe(
      calculateSlot('L0SM9cOFvHcCIhw='),
    );
  });

  it('spreads users over every bucket', () => {
    const layout = new RedisKeyLayout('p', 16);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(layout.bucketOf(`user-${i}`));
    expect(seen.size).toBe(16);
  });

  it('FNV-1a matches the reference vectors (hashes UTF-8 bytes)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32('é')).not.toBe(fnv1a32('\u00e9'.normalize('NFD')));
  });

  it('round-trips connection records, user ids with spaces included', () => {
    const layout = new RedisKeyLayout();
    const owner = layout.owner(`o'brien "bob"`);
    expect(layout.parseOwner(owner)).toEqual({
      bucket: layout.bucketOf(`o'brien "bob"`),
      userId: `o'brien "bob"`,
    });
    expect(layout.parseOwner('garbage')).toBeUndefined();
  });

  it('rejects prefixes with braces or whitespace and bad bucket counts', () => {
    expect(() => new RedisKeyLayout('a{b}')).toThrow(/keyPrefix/);
    expect(() => new RedisKeyLayout('a b')).toThrow(/keyPrefix/);
    expect(() => new RedisKeyLayout('')).toThrow(/keyPrefix/);
    expect(() => new RedisKeyLayout('p', 0)).toThrow(/sweepBuckets/);
    expect(() => new RedisKeyLayout('p', 1.5)).toThrow(/sweepBuckets/);
  });
});
