import type { SweepReport } from '@presence/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { invoke } from './invocation.js';
import { type RuntimeSource, serviceOf } from './runtime.js';

/** The scheduled sweep: an EventBridge event in, the sweep's report out. */
export type TimeoutHandler = (event: ScheduledEvent, context?: Context) => Promise<SweepReport>;

/**
 * Time the timeout handler leaves unused at the end of its invocation: 20% of the remaining time,
 * at least 1 s and at most 10 s. A batch started before the deadline still has to finish.
 */
export function sweepSafetyMarginMs(remainingMs: number): number {
  return Math.min(10_000, Math.max(1_000, Math.floor(remainingMs * 0.2)));
}

/** Remaining time assumed when the timeout handler gets no Lambda context (a manual call). */
const DEFAULT_REMAINING_MS = 60_000;

/**
 * EventBridge schedule: sweeps in batches until the invocation's remaining time minus a safety
 * margin. A failed sweep fails the invocation (Lambda's Errors metric, the sweep alarm); a sweep
 * stopped by its deadline (`done: false`) is counted by `SweepIncomplete`.
 */
export function createTimeoutHandler(source: RuntimeSource): TimeoutHandler {
  return invoke<ScheduledEvent, SweepReport>(
    source,
    'timeout',
    async (runtime, _event, _caller, context) => {
      const now = runtime.clock?.now() ?? Date.now();
      const remainingMs = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
      const report = await serviceOf(runtime).sweep({
        deadline: now + remainingMs - sweepSafetyMarginMs(remainingMs),
      });
      runtime.observer?.record({ kind: 'sweep', report });
      return { result: report, step: { fields: { ...report, remainingMs } } };
    },
    async (_runtime, error) => {
      throw error;
    },
  );
}
