import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** What one invocation measured: counts, and latency samples in milliseconds. */
export interface MetricValues {
  readonly counts: ReadonlyMap<string, number>;
  readonly latencies: ReadonlyMap<string, readonly number[]>;
}

/** Where an invocation's metrics go when it ends. */
export interface MetricsSink {
  /** Publishes one invocation's values under `operation` (and without it, for alarms). */
  publish(operation: string, values: MetricValues): void;
}

/** A sink that drops everything (`METRICS=off`, and processes that are not Lambda functions). */
export const NO_METRICS: MetricsSink = Object.freeze({ publish() {} });

/** Options of {@link createEmfMetrics}. */
export interface EmfMetricsOptions {
  /** CloudWatch namespace. @default 'Presence' */
  readonly namespace?: string;
  /** The `service` dimension. @default 'presence' */
  readonly serviceName?: string;
}

/**
 * Powertools Metrics: one Embedded Metric Format line on stdout per invocation, which CloudWatch
 * turns into metrics asynchronously (no API call, no latency). Each metric is published with the
 * dimension sets `[service, operation]` and `[service]`, and a `ColdStart` count on the first
 * invocation of a container.
 */
export function createEmfMetrics(options: EmfMetricsOptions = {}): MetricsSink {
  const metrics = new Metrics({
    namespace: options.namespace ?? 'Presence',
    serviceName: options.serviceName ?? 'presence',
  });
  let cold = true;
  return {
    publish(operation, values) {
      if (cold) {
        cold = false;
        metrics.captureColdStartMetric();
      }
      metrics.addDimensions({ operation });
      // The service-only set, for alarms over every operation.
      metrics.addDimensions({});
      for (const [name, count] of values.counts) metrics.addMetric(name, MetricUnit.Count, count);
      for (const [name, samples] of values.latencies) {
        for (const ms of samples) metrics.addMetric(name, MetricUnit.Milliseconds, ms);
      }
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      else metrics.clearDimensions();
    },
  };
}
