import { performance } from 'node:perf_hooks';
import { startProgress } from './progress.js';
import { type PhaseStats, summarize } from './stats.js';

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Shown on the progress bar. */
  readonly label: string;
  /** Concurrent callers: each waits for its operation before starting the next. */
  readonly concurrency: number;
  /** Stop starting operations after this long (ms). */
  readonly durationMs: number;
  /** Stop after this many operations in total. @default unlimited */
  readonly maxOps?: number;
  /** Unmeasured operations first (JIT, pools, prepared statements). @default 0 */
  readonly warmupOps?: number;
  /** Stop after this many errors (the first is rethrown). @default 1 */
  readonly maxErrors?: number;
}

/**
 * Runs `op(i)` in a closed loop from `concurrency` workers until the duration or the op budget is
 * spent, and returns throughput and latency percentiles. `i` is a global sequence number, so each
 * operation can pick its own user or connection. Fails when an operation throws: a benchmark that
 * counts failures as fast operations lies.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  op: (i: number, worker: number) => Promise<unknown>,
): Promise<PhaseStats> {
  const maxOps = options.maxOps ?? Number.POSITIVE_INFINITY;
  const warmup = Math.max(0, options.warmupOps ?? 0);
  let seq = 0;
  for (let w = 0; w < warmup; w += options.concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, warmup - w) }, (_, k) => op(seq++, k)),
    );
  }
  const latencies: number[] = [];
  const progress = startProgress(`${options.label} ×${options.concurrency}`);
  const started = performance.now();
  const deadline = started + options.durationMs;
  let completed = 0;
  let firstError: unknown;
  let errors = 0;
  // The bar redraws at most every 100 ms: building its text per operation cost fast phases CPU.
  let nextDraw = 0;
  const worker = async (w: number) => {
    while (performance.now() < deadline && completed < maxOps && firstError === undefined) {
      const i = seq++;
      completed += 1;
      const t0 = performance.now();
      try {
        await op(i, w);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= error;
      }
      const now = performance.now();
      if (now >= nextDraw) {
        nextDraw = now + 100;
        progress.update(
          Math.max((now - started) / options.durationMs, completed / maxOps),
          `${latencies.length} ops`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  const elapsed = performance.now() - started;
  const stats = summarize(latencies, elapsed, errors);
  progress.done(`${Math.round(stats.opsPerSec)} ops/s`);
  if (firstError !== undefined) throw firstError;
  return stats;
}

/** Times one async call (ms). */
export async function timeOnce<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
