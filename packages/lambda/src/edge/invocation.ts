import { performance } from 'node:perf_hooks';
import { httpStatusOf, PresenceError } from '@presence/core';
import type { Context } from 'aws-lambda';
import { type PresenceRuntime, type RuntimeSource, resolver, UNOBSERVED } from './runtime.js';

/** What one handler step tells the invocation's log line. */
export interface Step {
  /** Status answered. @default 200 */
  readonly status?: number;
  /** Counts for the log line (never URLs, titles, tokens or friend lists). */
  readonly fields?: Record<string, unknown>;
  /** Level of the invocation's line. @default 'info' */
  readonly level?: 'debug' | 'info';
}

/** Who an invocation is for, as far as it got before it failed. */
export interface Caller {
  userId?: string | undefined;
  requestId?: string | undefined;
  /** The WebSocket connection, to answer it with an error frame. */
  connectionId?: string | undefined;
}

/**
 * Runs one invocation of `op` on the runtime: observed (log context, trace, metrics), timed, one
 * log line when it succeeds, one `error` (5xx) or `info` (refused) line when it fails. `onError`
 * turns a failure into the answer (a status, an error response); rethrowing fails the invocation.
 */
export function invoke<E, R>(
  source: RuntimeSource,
  op: string,
  run: (
    runtime: PresenceRuntime,
    event: E,
    caller: Caller,
    context: Context | undefined,
  ) => Promise<{ result: R; step: Step }>,
  onError: (runtime: PresenceRuntime, error: unknown, event: E, caller: Caller) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  const runtimeOf = resolver(source);
  return async (event, context) => {
    const runtime = await runtimeOf();
    const observer = runtime.observer ?? UNOBSERVED;
    return observer.run(op, context, async () => {
      const started = performance.now();
      const caller: Caller = {};
      try {
        const { result, step } = await run(runtime, event, caller, context);
        const status = step.status ?? 200;
        const fields = {
          op,
          userId: caller.userId,
          requestId: caller.requestId,
          status,
          latencyMs: since(started),
          ...step.fields,
        };
        if (step.level === 'debug') runtime.logger.debug(fields, op);
        else runtime.logger.info(fields, op);
        observer.record({ kind: 'outcome', status });
        return result;
      } catch (error) {
        const status = httpStatusOf(error);
        logFailure(runtime, op, caller, status, started, error);
        observer.record({
          kind: 'outcome',
          status,
          code: PresenceError.isInstance(error) ? error.code : 'internal',
        });
        return onError(runtime, error, event, caller);
      }
    });
  };
}

function since(started: number): number {
  return Math.round(performance.now() - started);
}

function logFailure(
  runtime: PresenceRuntime,
  op: string,
  caller: Caller,
  status: number,
  started: number,
  error: unknown,
): void {
  const code = PresenceError.isInstance(error) ? error.code : 'internal';
  const fields = {
    op,
    userId: caller.userId,
    requestId: caller.requestId,
    status,
    code,
    latencyMs: since(started),
  };
  if (status >= 500) runtime.logger.error({ ...fields, error }, `${op} failed`);
  else
    runtime.logger.info(
      { ...fields, reason: PresenceError.isInstance(error) ? error.message : undefined },
      `${op} refused`,
    );
}
