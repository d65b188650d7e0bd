import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

describe('FakeClock', () => {
  it('starts at 1_700_000_000_000 unless told otherwise', () => {
    expect(new FakeClock().now()).toBe(1_700_000_000_000);
    expect(new FakeClock(42).now()).toBe(42);
  });

  it('moves only when advanced or set', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(1_500);
    expect(clock.now()).toBe(1_500);
    expect(clock.set(200)).toBe(200);
    expect(clock.now()).toBe(200);
  });

  it('refuses to go backward through advance, or to non-finite times', () => {
    const clock = new FakeClock(1_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now()).toBe(1_000);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads Date.now() on every call', () => {
    const spy = vi.spyOn(Date, 'now').mockReturnValueOnce(123).mockReturnValueOnce(456);
    expect(systemClock.now()).toBe(123);
    expect(systemClock.now()).toBe(456);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
