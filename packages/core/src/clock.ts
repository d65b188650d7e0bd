import type { Clock } from './ports.js';

/** The wall clock (`Date.now()`): the default {@link Clock} of every runtime. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
