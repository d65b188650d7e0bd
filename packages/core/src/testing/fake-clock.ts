import type { Clock } from '../ports.js';

/**
 * A {@link Clock} that only moves when told to, so tests drive time instead of sleeping.
 * @example
 * const clock = new FakeClock();
 * clock.advance(180_000);
 */
export class FakeClock implements Clock {
  #now: number;

  /** @param startMs the initial time in ms since the epoch (@default 1_700_000_000_000, Nov 2023) */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  /** The current fake time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (never backward) and returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance(ms) needs ms >= 0, got ${ms}`);
    this.#now += ms;
    return this.#now;
  }

  /** Sets the time to `ms` (backward too, to test clock skew) and returns it. */
  set(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`set(ms) needs a finite number, got ${ms}`);
    this.#now = ms;
    return this.#now;
  }
}
