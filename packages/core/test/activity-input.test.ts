import { describe, expect, it } from 'vitest';
import {
  activityIdFloor,
  createActivityIdFactory,
  decodeActivityCursor,
  encodeActivityCursor,
  InvalidInputError,
  isActivityId,
} from '../src/index.js';

const T0 = 1_700_000_000_000;

describe('activity ids', () => {
  it('are <16-digit at>-<16 hex>, ordered by at and then by append order of one factory', () => {
    const next = createActivityIdFactory();
    const ids = [next(T0), next(T0), next(T0 - 1), next(5), next(Number.MAX_SAFE_INTEGER)];
    for (const id of ids) expect(isActivityId(id)).toBe(true);
    expect(ids[0]).toMatch(/^0001700000000000-[0-9a-f]{16}$/);
    expect(ids[3]).toMatch(/^0000000000000005-/);
    expect([...ids].sort()).toEqual([ids[3], ids[2], ids[0], ids[1], ids[4]]);
  });

  it('two factories (two log instances) never give the same id in one millisecond', () => {
    const a = createActivityIdFactory();
    const b = createActivityIdFactory();
    const ids = new Set(Array.from({ length: 50 }, () => [a(T0), b(T0)]).flat());
    expect(ids.size).toBe(100);
  });

  it('activityIdFloor splits expired from listed ids at exactly at + retention', () => {
    const next = createActivityIdFactory();
    const floor = activityIdFloor(T0 + 1_000, 1_000);
    expect(next(T0) < floor).toBe(true);
    expect(next(T0 + 1) >= floor).toBe(true);
    expect(activityIdFloor(500, 1_000)).toBe('0000000000000000');
  });
});

describe('activity cursors', () => {
  it('round-trip an id and are URL-safe', () => {
    const id = createActivityIdFactory()(T0);
    const cursor = encodeActivityCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeActivityCursor(cursor)).toBe(id);
  });

  it('refuse a cursor with any single character changed (the checksum), cut, or padded', () => {
    const cursor = encodeActivityCursor(createActivityIdFactory()(T0));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < cursor.length; i++) {
      for (const c of alphabet) {
        if (c === cursor[i]) continue;
        const altered = `${cursor.slice(0, i)}${c}${cursor.slice(i + 1)}`;
        expect(() => decodeActivityCursor(altered), altered).toThrow(InvalidInputError);
      }
    }
    expect(() => decodeActivityCursor(cursor.slice(0, -1))).toThrow(InvalidInputError);
    expect(() => decodeActivityCursor(`${cursor}==`)).toThrow(InvalidInputError);
  });
});
