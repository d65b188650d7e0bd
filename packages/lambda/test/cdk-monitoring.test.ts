import { aws_cloudwatch as cloudwatch, aws_lambda as lambda, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { FrontDoorBinding } from '../src/cdk/front-door.js';
import { NO_GHOST_ALARMS, PresenceMonitoring } from '../src/cdk/monitoring.js';
import type { PresenceRedisBinding } from '../src/cdk/redis.js';
import type { WebSocketBinding } from '../src/cdk/websocket.js';
import { PRESENCE_METRICS as M, PRESENCE_FUNCTION_NAMES } from '../src/index.js';
import { ENV, newApp } from './cdk-fixtures.js';

type AlarmProps = Record<string, unknown> & {
  AlarmDescription: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
};

// GIVEN the monitoring construct alone (imported functions, stand-in API and Redis metrics) —
// WHEN synthesized with and without activity history — THEN each no-ghost alarm reads its metric
// with the documented threshold and evaluation periods, and the dashboard shows them.
function synth(activityHistory?: boolean) {
  const stack = new Stack(newApp(), 'MonitoringStack', { env: ENV });
  const metric = (name: string) => new cloudwatch.Metric({ namespace: 'Test', metricName: name });
  const functions = Object.fromEntries(
    PRESENCE_FUNCTION_NAMES.map((name) => [
      name,
      lambda.Function.fromFunctionName(stack, `Fn-${name}`, `presence-${name}`),
    ]),
  ) as Record<(typeof PRESENCE_FUNCTION_NAMES)[number], lambda.IFunction>;
  const monitoring = new PresenceMonitoring(stack, 'Monitoring', {
    functions,
    namespace: 'Presence',
    serviceName: 'presence',
    webSocket: {
      metrics: {
        messages: metric('Messages'),
        integrationErrors: metric('IntegrationError'),
        executionErrors: metric('ExecutionError'),
        latencyP99: metric('Latency'),
      },
    } as unknown as WebSocketBinding,
    frontDoor: {
      metrics: {
        requests: metric('Count'),
        serverErrorRate: metric('5xx'),
        latencyP99: metric('Latency'),
      },
    } as unknown as FrontDoorBinding,
    redis: { health: { memory: [], cpu: [] } } as unknown as PresenceRedisBinding,
    ...(activityHistory === undefined ? {} : { activityHistory }),
  });
  const template = Template.fromStack(stack);
  const alarms = Object.values(
    template.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: AlarmProps }>,
  ).map((r) => r.Properties);
  const alarmOn = (metricName: string) => alarms.filter((a) => a.MetricName === metricName);
  const dimensionsOf = (alarm: AlarmProps) =>
    Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  const dashboard = JSON.stringify(
    Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties,
  );
  return { monitoring, alarms, alarmOn, dimensionsOf, dashboard };
}

describe('PresenceMonitoring: the no-ghost alarms', () => {
  const { monitoring, alarmOn, dimensionsOf, dashboard } = synth();

  it('outbox-not-draining: the sweep deferred ≥ 5 announcements in each of 3 periods of 5 minutes', () => {
    const [alarm, ...others] = alarmOn(M.announcementsDeferred);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Namespace: 'Presence',
      Statistic: 'Sum',
      Period: 300,
      Threshold: NO_GHOST_ALARMS.outboxDeferredPerPeriod,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(NO_GHOST_ALARMS.outboxDeferredPerPeriod).toBe(5);
    // The sweep's retries, not a $disconnect's first attempt (the next sweep delivers it).
    expect(dimensionsOf(alarm!)).toEqual({ service: 'presence', operation: 'timeout' });
    expect(monitoring.alarms['outbox-not-draining']).toBeDefined();
  });

  it('redis-data-lost: one lost partition in 5 minutes', () => {
    const [alarm, ...others] = alarmOn(M.lostPartitions);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(dimensionsOf(alarm!)).toEqual({ service: 'presence' });
    expect(monitoring.alarms['redis-data-lost']).toBeDefined();
  });

  it('sweep-hold-lasting: the hold in each of 3 periods in a row (its Maximum, 1 when held)', () => {
    const [alarm, ...others] = alarmOn(M.sweepHold);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(monitoring.alarms['sweep-hold-lasting']).toBeDefined();
  });

  it('mass-timeout: one sweep that saw it', () => {
    const [alarm, ...others] = alarmOn(M.massTimeout);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1 });
    expect(monitoring.alarms['mass-timeout']).toBeDefined();
  });

  it('frames-rate-limited (informational): ≥ 500 refused frames in 5 minutes, all functions', () => {
    const [alarm, ...others] = alarmOn(M.framesRateLimited);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 500, EvaluationPeriods: 1 });
    expect(alarm?.AlarmDescription).toMatch(/^Presence: informational/);
    expect(dimensionsOf(alarm!)).toEqual({ service: 'presence' });
  });

  it('no activity-failures alarm without activity history', () => {
    expect(alarmOn(M.activityFailures)).toEqual([]);
    expect(monitoring.alarms['activity-failures']).toBeUndefined();
  });

  it('the dashboard graphs the outbox, the sweep recovery and the write guards', () => {
    for (const name of [
      M.announcementsDeferred,
      M.outboxDrained,
      M.sweepHold,
      M.lostPartitions,
      M.reconciledFrames,
      M.massTimeout,
      M.framesRateLimited,
      M.connectionsEvicted,
      M.activityFailures,
    ]) {
      expect(dashboard, name).toContain(`\\"${name}\\"`);
    }
    expect(dashboard).toContain('Outbox: announcements deferred / drained');
  });
});

describe('PresenceMonitoring with activity history', () => {
  const { monitoring, alarmOn } = synth(true);

  it('activity-failures: ≥ 10 failed appends in each of 2 periods of 5 minutes', () => {
    const [alarm, ...others] = alarmOn(M.activityFailures);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Statistic: 'Sum',
      Threshold: 10,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(monitoring.alarms['activity-failures']).toBeDefined();
  });
});
