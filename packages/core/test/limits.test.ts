import { describe, expect, it } from 'vitest';
import {
  assertConnectionId,
  assertUserId,
  DEFAULT_LIMITS,
  InvalidInputError,
} from '../src/index.js';

describe('assertUserId', () => {
  it.each([
    ['a Cognito UUID', '3f1c2a9e-6b7d-4e1a-9c2f-5d8e7a6b4c3d'],
    ['a federated id', 'google_117429865182265482928'],
    ['quotes', `o'brien"the-quote"`],
    ['braces and colons', '{tag}:user'],
    ['Unicode', 'łukasz-用户-😀'],
    ['exactly 128 characters', 'u'.repeat(128)],
    ['128 UTF-16 units of astral characters', '😀'.repeat(64)],
    ['a single character', 'a'],
  ])('accepts %s', (_what, id) => {
    expect(assertUserId(id)).toBe(id);
  });

  it.each([
    ['129 characters', 'u'.repeat(129)],
    ['the empty string', ''],
    ['a space', 'alice smith'],
    ['a tab', 'alice\tsmith'],
    ['a newline', 'alice\n'],
    ['NUL', 'alice\u0000'],
    ['DEL', 'alice\u007f'],
    ['a C1 control character', 'alice\u0085'],
    ['a line separator', 'alice\u2028'],
    ['a slash', 'alice/bob'],
    ['a backslash', 'alice\\bob'],
    ['a lone high surrogate', 'alice\ud83d'],
    ['a lone low surrogate', '\ude00alice'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s with InvalidInputError naming the field', (_what, id) => {
    expect(() => assertUserId(id, 'friendId')).toThrow(InvalidInputError);
    expect(() => assertUserId(id, 'friendId')).toThrow(/^friendId /);
  });

  it('follows a custom length limit', () => {
    const limits = { ...DEFAULT_LIMITS, maxUserIdLength: 4 };
    expect(assertUserId('abcd', 'userId', limits)).toBe('abcd');
    expect(() => assertUserId('abcde', 'userId', limits)).toThrow(/longer than 4/);
  });
});

describe('assertConnectionId', () => {
  it.each(['L0SM9cOFvHcCIhw=', 'a', 'abc+/=_.:-', 'c'.repeat(128)])('accepts %j', (id) => {
    expect(assertConnectionId(id)).toBe(id);
  });

  it.each(['', 'c'.repeat(129), 'has space', 'quote"', 'ü', '{x}', 'a\nb', 7])(
    'rejects %j',
    (id) => {
      expect(() => assertConnectionId(id)).toThrow(InvalidInputError);
    },
  );
});
