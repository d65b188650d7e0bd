import { StoreUnavailableError } from './errors.js';
import type { Clock } from './ports.js';

/**
 * Bounds the service's store calls in time, so that a runtime needs no guard of its own.
 *
 * With a `timeoutMs`, a call gets `deadline = clock.now() + timeoutMs` to hand to the store (connect
 * and update carry it and the store refuses to run them later, atomically, against its own clock) and is given up with a {@link StoreUnavailableError} `skewMs` after the deadline:
 * by then the store has either run the write, and answered, or will refuse it. The one case left is
 * a write that ran in time but whose reply was delayed past `skewMs`: `onGiveUp` lets the caller
 * compensate (connect removes the connection again).
 *
 * What a late store step does when it has no deadline (reviewed for every step):
 * - touch (heartbeat): the hot path carries none. A late heartbeat refreshes the last-seen of a
 *   socket that was alive when it sent it; if that socket closed and its `$disconnect` ran first,
 *   the late heartbeat re-registers it and the sweep removes and announces it after the timeout: a
 *   ghost of at most one timeout, as a heartbeat racing a disconnect can cause without any fault.
 * - removeConnection: a late removal is what the client wanted; if it takes the user offline, the
 *   outbox entry recorded in the same step is announced by the next sweep.
 * - sweep: a late batch removes connections that were stale anyway and records their outbox
 *   entries; their sockets, not closed, re-register on their next heartbeat or are gone.
 * - markSweep carries the deadline too: a late refresh of the last-sweep time would hide the outage
 *   the sweep must detect when the store resumes.
 * - claimOutbox / ackOutbox / markReconciled: a late claim expires after the lease, an ack is
 *   conditional on its claim, reconcile progress is conditional on the epoch.
 * - reads: no effect.
 */
export class StoreCalls {
  readonly #clock: Clock;
  readonly #timeoutMs: number | undefined;
  readonly #skewMs: number;

  constructor(clock: Clock, timeoutMs: number | undefined, skewMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#skewMs = skewMs;
  }

  /**
   * Runs one store call, bounded when a timeout is set. `call` receives the deadline to pass to a
   * write (`undefined` without a timeout); `onGiveUp` runs when the call was given up on.
   */
  async run<T>(
    operation: string,
    call: (deadline: number | undefined) => Promise<T>,
    onGiveUp?: () => void,
  ): Promise<T> {
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs === undefined) return call(undefined);
    const pending = call(this.#clock.now() + timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const givenUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The call goes on without us: keep its late failure from being unhandled.
        pending.catch(() => undefined);
        onGiveUp?.();
        reject(
          new StoreUnavailableError(
            `the store did not answer ${operation} within ${timeoutMs + this.#skewMs} ms`,
          ),
        );
      }, timeoutMs + this.#skewMs);
      (timer as { unref?: () => void }).unref?.();
    });
    try {
      return await Promise.race([pending, givenUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}
