import type { Logger } from '@presence/core';
import type { Context } from 'aws-lambda';
import type { LambdaLogger, MetricsSink, Tracing } from '../aws/index.js';
import type { InvocationObserver } from '../edge/index.js';
import { currentRecorder, InvocationRecorder, recordEvent, withRecorder } from './metrics.js';

function hasContext(logger: Logger): logger is LambdaLogger {
  return typeof (logger as Partial<LambdaLogger>).addContext === 'function';
}

/**
 * The observer of a function's invocations: the logger gets each Lambda context, a subsegment
 * wraps each invocation, and what it did is published through `sink` when it ends (also when it
 * fails). Each invocation records into its own recorder (AsyncLocalStorage), so concurrent
 * invocations in one process (the local runtime) never mix their counts.
 */
export function createObserver(
  logger: Logger,
  sink: MetricsSink,
  tracing: Tracing,
): InvocationObserver {
  return {
    async run<T>(op: string, context: Context | undefined, body: () => Promise<T>): Promise<T> {
      if (context !== undefined && hasContext(logger)) logger.addContext(context);
      const recorder = new InvocationRecorder();
      try {
        return await withRecorder(recorder, () => tracing.invocation(op, body));
      } finally {
        sink.publish(op, recorder);
      }
    },
    record(event) {
      const recorder = currentRecorder();
      if (recorder) recordEvent(recorder, event);
    },
  };
}
