import type { Logger } from '@presence/core';
import { describe, expect, it } from 'vitest';
import { InvocationQueue } from '../src/gateway/invocation-queue.js';

// The queue in front of the handlers: driven by tasks the test releases, never by timers.

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every settled promise's continuation run. */
const drain = async () => {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
};

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { lines, logger };
}

describe('InvocationQueue', () => {
  it('runs at most `concurrency` tasks at once, in arrival order, and every one of them', async () => {
    // Prepare
    const { logger } = recordingLogger();
    const queue = new InvocationQueue({ concurrency: 2, maxQueued: 100, logger, onPressure() {} });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    let running = 0;
    let peak = 0;

    // Act
    const results = gates.map((g, i) =>
      queue.run(`connection-${i}`, async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await g.promise;
        running -= 1;
        return i;
      }),
    );
    await drain();

    // Assess
    expect(started).toEqual([0, 1]);
    expect({ running: queue.running, queued: queue.queued }).toEqual({ running: 2, queued: 3 });
    gates[1]?.open();
    await drain();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect({ running: queue.running, queued: queue.queued }).toEqual({ running: 0, queued: 0 });
  });

  it('runs the tasks of one key one after the other, even with free slots, past a failure', async () => {
    // Prepare
    const { logger } = recordingLogger();
    const queue = new InvocationQueue({ concurrency: 8, maxQueued: 100, logger, onPressure() {} });
    const first = gate();
    const order: string[] = [];

    // Act
    const a = queue.run('same', async () => {
      await first.promise;
      order.push('a');
      throw new Error('handler failed');
    });
    const b = queue.run('same', async () => {
      order.push('b');
    });
    const other = queue.run('other', async () => {
      order.push('other');
    });
    await other;
    await drain();

    // Assess
    expect(order).toEqual(['other']);
    first.open();
    await expect(a).rejects.toThrow('handler failed');
    await b;
    expect(order).toEqual(['other', 'a', 'b']);
  });

  it('asks the owner to stop taking work past maxQueued, with a warn of counts only, and to resume at half', async () => {
    // Prepare
    const { lines, logger } = recordingLogger();
    const pressure: boolean[] = [];
    const queue = new InvocationQueue({
      concurrency: 1,
      maxQueued: 4,
      logger,
      onPressure: (on) => pressure.push(on),
    });
    const gates = Array.from({ length: 8 }, gate);

    // Act: one runs, seven wait (more than 4)
    const results = gates.map((g, i) => queue.run(`c${i}`, () => g.promise.then(() => i)));
    await drain();

    // Assess
    expect(pressure).toEqual([true]);
    expect(queue.saturated).toBe(true);
    const warn = lines.find((l) => l.level === 'warn');
    expect(warn?.fields).toEqual({
      op: 'invocation-queue',
      queued: 5,
      running: 1,
      maxQueued: 4,
      concurrency: 1,
    });
    // Five more start: the queue is down to 2 (half of 4) and the owner resumes.
    for (const g of gates.slice(0, 5)) {
      g.open();
      await drain();
    }
    expect(pressure).toEqual([true, false]);
    expect(queue.saturated).toBe(false);
    const info = lines.find((l) => l.level === 'info');
    expect(Object.keys(info?.fields ?? {}).sort()).toEqual(
      ['op', 'pausedMs', 'peakQueued', 'queued', 'running'].sort(),
    );
    expect(info?.fields.peakQueued).toBe(8);
    for (const g of gates) g.open();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pressure).toEqual([true, false]);
  });

  it('refuses a concurrency or a queue bound that is not a positive integer', () => {
    const { logger } = recordingLogger();
    expect(
      () => new InvocationQueue({ concurrency: 0, maxQueued: 1, logger, onPressure() {} }),
    ).toThrow(/maxConcurrentInvocations/);
    expect(
      () => new InvocationQueue({ concurrency: 1, maxQueued: 1.5, logger, onPressure() {} }),
    ).toThrow(/maxQueuedInvocations/);
  });
});
