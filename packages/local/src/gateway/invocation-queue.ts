import { ConfigError, type Logger } from '@presence/core';

/** Options of {@link InvocationQueue}. */
export interface InvocationQueueOptions {
  /** Handler invocations running at once, like a Lambda function's reserved concurrency. */
  readonly concurrency: number;
  /**
   * Invocations waiting to start past which {@link onPressure} is called with `true`; it is called
   * with `false` once the queue is back to half of this. Nothing is ever refused or dropped.
   */
  readonly maxQueued: number;
  /** Receives a `warn` with counts (never ids or payloads) when the queue fills, an `info` when it drains. */
  readonly logger: Logger;
  /** Called with `true` when the queue passes {@link maxQueued} (stop taking work), `false` when it has drained. */
  readonly onPressure: (on: boolean) => void;
}

const noop = () => undefined;

/**
 * Runs handler invocations with bounded concurrency, in arrival order, and those sharing a key
 * (a connection id) one after the other. Every invocation handed to {@link run} runs: when more than
 * `maxQueued` wait, the owner is told to stop taking work (the gateway stops reading its sockets,
 * which pushes back on clients through TCP) until the queue halves.
 *
 * This is what puts the queue in front of the handlers, as API Gateway + Lambda concurrency do,
 * rather than inside them: an invocation started late no longer spends its backend timeouts (the
 * pg pool's connection wait, the AWS SDK's request timeout) waiting behind hundreds of others.
 */
export class InvocationQueue {
  readonly #options: InvocationQueueOptions;
  readonly #slots: Array<() => void> = [];
  readonly #tails = new Map<string, Promise<void>>();
  #running = 0;
  #queued = 0;
  #peakQueued = 0;
  #pressureSince: number | undefined;

  constructor(options: InvocationQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new ConfigError(
        `maxConcurrentInvocations must be a positive integer, got ${String(options.concurrency)}`,
      );
    }
    if (!Number.isInteger(options.maxQueued) || options.maxQueued < 1) {
      throw new ConfigError(
        `maxQueuedInvocations must be a positive integer, got ${String(options.maxQueued)}`,
      );
    }
    this.#options = options;
  }

  /** Invocations running now. */
  get running(): number {
    return this.#running;
  }

  /** Invocations accepted and not started yet. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the queue is past `maxQueued` and has not drained to half of it yet. */
  get saturated(): boolean {
    return this.#pressureSince !== undefined;
  }

  /**
   * Runs `task` once a slot is free and every earlier task of the same `key` has settled.
   * Resolves or rejects as the task does.
   */
  run<T>(key: string | undefined, task: () => Promise<T>): Promise<T> {
    this.#queued += 1;
    this.#peakQueued = Math.max(this.#peakQueued, this.#queued);
    this.#check();
    const previous = key === undefined ? undefined : this.#tails.get(key);
    const result = (async () => {
      if (previous !== undefined) await previous;
      await this.#acquire();
      this.#queued -= 1;
      this.#check();
      try {
        return await task();
      } finally {
        this.#release();
      }
    })();
    if (key !== undefined) {
      const tail = result.then(noop, noop);
      this.#tails.set(key, tail);
      void tail.then(() => {
        if (this.#tails.get(key) === tail) this.#tails.delete(key);
      });
    }
    return result;
  }

  #acquire(): Promise<void> | undefined {
    if (this.#running < this.#options.concurrency) {
      this.#running += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#slots.push(resolve));
  }

  #release(): void {
    // Hand the slot straight to the next waiter, or free it.
    const next = this.#slots.shift();
    if (next === undefined) this.#running -= 1;
    else next();
  }

  #check(): void {
    const { maxQueued, logger, onPressure } = this.#options;
    if (this.#pressureSince === undefined && this.#queued > maxQueued) {
      this.#pressureSince = Date.now();
      this.#peakQueued = this.#queued;
      logger.warn(
        {
          op: 'invocation-queue',
          queued: this.#queued,
          running: this.#running,
          maxQueued,
          concurrency: this.#options.concurrency,
        },
        'handler invocations queued past the limit: pausing reads on WebSocket connections',
      );
      onPressure(true);
    } else if (this.#pressureSince !== undefined && this.#queued <= Math.floor(maxQueued / 2)) {
      const pausedMs = Date.now() - this.#pressureSince;
      this.#pressureSince = undefined;
      logger.info(
        {
          op: 'invocation-queue',
          queued: this.#queued,
          running: this.#running,
          peakQueued: this.#peakQueued,
          pausedMs,
        },
        'handler invocation queue drained: reading WebSocket connections again',
      );
      onPressure(false);
    }
  }
}
