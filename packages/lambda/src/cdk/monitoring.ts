import { aws_cloudwatch as cloudwatch, Duration, type aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  PRESENCE_FUNCTION_NAMES,
  PRESENCE_FUNCTIONS,
  type PresenceFunctionName,
} from '../manifest.js';
import { PRESENCE_METRICS as M, type PresenceMetricName } from '../metric-names.js';
import type { FrontDoorBinding } from './front-door.js';
import type { PresenceRedisBinding } from './redis.js';
import type { WebSocketBinding } from './websocket.js';

/** What the alarms and the dashboard watch. */
export interface PresenceMonitoringProps {
  readonly functions: Readonly<Record<PresenceFunctionName, lambda.IFunction>>;
  /** Namespace and `service` dimension of the functions' own metrics. */
  readonly namespace: string;
  readonly serviceName: string;
  readonly webSocket: WebSocketBinding;
  readonly frontDoor: FrontDoorBinding;
  readonly redis: PresenceRedisBinding;
  /** Actions of every alarm (an SNS topic, a chat webhook...). @default - none */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /** Dashboard name. @default - generated */
  readonly dashboardName?: string;
  /**
   * The functions keep an activity history: alarm on its failed appends (`activity-failures`).
   * Without one `ActivityFailures` is always 0 and the alarm would only add noise.
   * @default false
   */
  readonly activityHistory?: boolean;
}

/**
 * Thresholds of the no-ghost alarms (the outbox, the sweep markers, the reconcile) and the write
 * guards, each over 5-minute periods; the README's "Alarms" table says what to do. The sweep runs
 * every minute, so "N periods in a row" is 5 N sweeps.
 */
export const NO_GHOST_ALARMS = Object.freeze({
  /**
   * `outbox-not-draining`: the sweep deferred at least 5 announcements in each of 3 periods in a row
   * (15 min). One entry whose retry fails on every sweep is 5 per period; a transient failure is
   * retried and delivered by the next sweep and never lasts 3 periods.
   */
  outboxDeferredPerPeriod: 5,
  outboxPeriods: 3,
  /** `redis-data-lost`: one lost partition is enough (reported once, by the sweep that finds it). */
  lostPartitions: 1,
  /**
   * `sweep-hold-lasting`: the sweep held its cutoff in each of 3 periods in a row (15 min). One
   * outage holds it for `recoveryHoldMs` (a minute by default) after the sweeps resume: 1 or 2
   * periods. Longer means the sweeps keep missing the store (it flaps) or data keeps being lost.
   */
  holdPeriods: 3,
  /** `mass-timeout`: one sweep that saw a mass timeout. */
  massTimeouts: 1,
  /** `activity-failures` (with `activityHistory`): at least 10 failed appends in each of 2 periods in a row. */
  activityFailuresPerPeriod: 10,
  activityPeriods: 2,
  /** `frames-rate-limited` (informational): at least 500 frames refused by the rate limit in 5 minutes. */
  rateLimitedFramesPerPeriod: 500,
});

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The presence API's alarms and its CloudWatch dashboard. Each alarm is a public property, named
 * for what it means; the README's "Alarms" table says what to do when one fires.
 */
export class PresenceMonitoring extends Construct {
  /** Every alarm, by name. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  /** Creates the alarms and the dashboard. */
  constructor(scope: Construct, id: string, props: PresenceMonitoringProps) {
    super(scope, id);
    const own = (name: PresenceMetricName, statistic = 'Sum', operation?: string) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: name,
        dimensionsMap: {
          service: props.serviceName,
          ...(operation === undefined ? {} : { operation }),
        },
        statistic,
        period: FIVE_MINUTES,
      });
    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      options: Partial<cloudwatch.CreateAlarmOptions> = {},
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        alarmDescription: `Presence: ${description}`,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      for (const action of props.alarmActions ?? []) created.addAlarmAction(action);
      alarms[name] = created;
      return created;
    };

    // --- Functions ---
    for (const name of PRESENCE_FUNCTION_NAMES) {
      // The authorizer fails every refused token on purpose (API Gateway's 401): its Lambda
      // errors are no signal; IdentityErrors below is.
      if (name === 'authorizer' || name === 'timeout') continue;
      alarm(
        `${name}-errors`,
        `the ${name} function failed (crash, timeout or bad configuration)`,
        props.functions[name].metricErrors({ period: FIVE_MINUTES }),
        1,
      );
    }
    // An alarm's math expression sums at most 10 metrics: one alarm per ten functions, the first
    // keeping its name.
    for (let start = 0; start < PRESENCE_FUNCTION_NAMES.length; start += 10) {
      const throttles = Object.fromEntries(
        PRESENCE_FUNCTION_NAMES.slice(start, start + 10).map((name, i) => [
          `t${i}`,
          props.functions[name].metricThrottles({ period: FIVE_MINUTES }),
        ]),
      );
      alarm(
        start === 0 ? 'function-throttles' : `function-throttles-${start / 10 + 1}`,
        'Lambda throttled invocations (account concurrency used up, or a reserved concurrency reached)',
        new cloudwatch.MathExpression({
          expression: Object.keys(throttles).join(' + '),
          usingMetrics: throttles,
          label: start === 0 ? 'Throttles, all functions' : 'Throttles, more functions',
          period: FIVE_MINUTES,
        }),
        1,
      );
    }

    // --- APIs ---
    alarm(
      'rest-5xx',
      'more than 5 % of REST requests answered 5xx over 10 minutes',
      props.frontDoor.metrics.serverErrorRate,
      0.05,
      {
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    alarm(
      'rest-latency',
      'REST p99 latency above 2 s for 15 minutes',
      props.frontDoor.metrics.latencyP99,
      2000,
      { evaluationPeriods: 3 },
    );
    alarm(
      'websocket-errors',
      'WebSocket integration errors (a function answered 5xx or failed): 10 or more in 5 minutes',
      props.webSocket.metrics.integrationErrors,
      10,
    );
    alarm(
      'websocket-latency',
      'WebSocket integration p99 latency above 2 s for 15 minutes',
      props.webSocket.metrics.latencyP99,
      2000,
      { evaluationPeriods: 3 },
    );

    // --- The sweep ---
    alarm(
      'sweep-failing',
      'the timeout sweep failed twice or more in 5 minutes (store, graph or gateway down): users stay online',
      props.functions.timeout.metricErrors({ period: FIVE_MINUTES }),
      2,
    );
    alarm(
      'sweep-behind',
      'three or more sweeps in 5 minutes stopped at their deadline with stale connections left',
      own(M.sweepIncomplete),
      3,
    );
    alarm(
      'sweep-stopped',
      'the timeout sweep did not run for 5 minutes (schedule disabled, or throttled)',
      props.functions.timeout.metricInvocations({ period: FIVE_MINUTES }),
      1,
      {
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );

    // --- The no-ghost machinery (outbox, sweep markers, reconcile) and the write guards ---
    const sweepOp = PRESENCE_FUNCTIONS.timeout.op;
    const T = NO_GHOST_ALARMS;
    alarm(
      'outbox-not-draining',
      `the sweep deferred ${T.outboxDeferredPerPeriod} or more offline announcements in each 5 minutes for ${5 * T.outboxPeriods} minutes: their retries keep failing (graph, store or gateway), friends see users online who left`,
      own(M.announcementsDeferred, 'Sum', sweepOp),
      T.outboxDeferredPerPeriod,
      { evaluationPeriods: T.outboxPeriods, datapointsToAlarm: T.outboxPeriods },
    );
    alarm(
      'redis-data-lost',
      'the sweep found store partitions that lost their data (Redis restarted empty, failed over without its data, or keys were evicted): live clients re-register by heartbeat, friends are reconciled after the timeout',
      own(M.lostPartitions),
      T.lostPartitions,
    );
    alarm(
      'sweep-hold-lasting',
      `the sweep held its cutoff (an outage or a data loss detected) in every 5 minutes for ${5 * T.holdPeriods} minutes: sweeps keep missing the store, stale users stay online longer`,
      own(M.sweepHold, 'Maximum'),
      1,
      { evaluationPeriods: T.holdPeriods, datapointsToAlarm: T.holdPeriods },
    );
    alarm(
      'mass-timeout',
      'a sweep found a large share of all connections stale at once (at least 100 and massTimeoutShare): clients could not heartbeat',
      own(M.massTimeout),
      T.massTimeouts,
    );
    if (props.activityHistory === true) {
      alarm(
        'activity-failures',
        `${T.activityFailuresPerPeriod} or more activity history appends failed in each 5 minutes for ${5 * T.activityPeriods} minutes: the history has gaps`,
        own(M.activityFailures),
        T.activityFailuresPerPeriod,
        { evaluationPeriods: T.activityPeriods, datapointsToAlarm: T.activityPeriods },
      );
    }
    alarm(
      'frames-rate-limited',
      `informational: ${T.rateLimitedFramesPerPeriod} or more client frames refused by the frame rate limit in 5 minutes (a client looping, or abuse)`,
      own(M.framesRateLimited),
      T.rateLimitedFramesPerPeriod,
    );

    // --- Fan-out, backends ---
    alarm(
      'fan-out-failures',
      'more than 5 % of frames failed (throttled, refused, gateway down) for 10 minutes, with at least 20 frames',
      new cloudwatch.MathExpression({
        expression: 'IF(sent + failed >= 20, 100 * failed / (sent + failed), 0)',
        usingMetrics: { sent: own(M.framesSent), failed: own(M.framesFailed) },
        label: 'Frames failed, %',
        period: FIVE_MINUTES,
      }),
      5,
      {
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    alarm(
      'store-errors',
      'presence store (Redis) calls failed: 5 or more in 5 minutes',
      own(M.storeErrors),
      5,
    );
    alarm(
      'database-errors',
      'friend graph (PostgreSQL) calls failed, connection and authentication errors included: 5 or more in 5 minutes',
      own(M.graphErrors),
      5,
    );
    alarm(
      'identity-errors',
      "the issuer's JWKS could not be fetched: no token can be verified",
      own(M.identityErrors),
      1,
    );
    props.redis.health.memory.forEach((metric, i) =>
      alarm(`redis-memory-${i + 1}`, 'Redis memory above 80 % for 15 minutes', metric, 80, {
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
    );
    props.redis.health.cpu.forEach((metric, i) =>
      alarm(
        `redis-cpu-${i + 1}`,
        'Redis engine CPU above 80 % for 15 minutes (serverless: commands throttled)',
        metric,
        80,
        {
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
      ),
    );
    this.alarms = alarms;
    this.dashboard = this.#dashboard(props, own, alarms);
  }

  #dashboard(
    props: PresenceMonitoringProps,
    own: (name: PresenceMetricName, statistic?: string, operation?: string) => cloudwatch.Metric,
    alarms: Record<string, cloudwatch.Alarm>,
  ): cloudwatch.Dashboard {
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const perOperation = (name: PresenceMetricName, functions: PresenceFunctionName[]) =>
      functions.map((fn) => own(name, 'Sum', PRESENCE_FUNCTIONS[fn].op).with({ label: fn }));
    const senders: PresenceFunctionName[] = [
      'update-presence',
      'disconnect',
      'timeout',
      'heartbeat',
      'default',
    ];
    const fns = PRESENCE_FUNCTION_NAMES.map((name) => props.functions[name]);
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Presence alarms',
            alarms: Object.values(alarms),
            width: 24,
            height: 4,
          }),
        ],
        [
          graph(
            'REST requests and 5xx rate',
            [props.frontDoor.metrics.requests],
            [props.frontDoor.metrics.serverErrorRate],
          ),
          graph(
            'WebSocket messages and integration errors',
            [props.webSocket.metrics.messages],
            [props.webSocket.metrics.integrationErrors],
          ),
          graph('API p99 latency (ms)', [
            props.frontDoor.metrics.latencyP99,
            props.webSocket.metrics.latencyP99,
          ]),
        ],
        [
          graph('Frames sent per operation', perOperation(M.framesSent, senders)),
          graph(
            'Frames failed / gone, gateway throttles',
            [own(M.framesFailed), own(M.framesGone)],
            [own(M.gatewayThrottles), own(M.gatewayUnreachable)],
          ),
          graph(
            'Sweep: expired, announced, incomplete runs',
            [own(M.sweepExpired), own(M.sweepAnnounced)],
            [own(M.sweepIncomplete)],
          ),
        ],
        [
          graph(
            'Store latency (ms) p50 / p99, errors',
            [own(M.storeLatency, 'p50'), own(M.storeLatency, 'p99')],
            [own(M.storeErrors)],
          ),
          graph(
            'Graph latency (ms) p50 / p99, errors',
            [own(M.graphLatency, 'p50'), own(M.graphLatency, 'p99')],
            [own(M.graphErrors), own(M.credentialRefreshes)],
          ),
          graph(
            'Tokens refused, identity errors, 5xx',
            [own(M.tokensRefused)],
            [own(M.identityErrors), own(M.serverErrors)],
          ),
        ],
        [
          graph('Outbox: announcements deferred / drained (retried) per operation', [
            ...perOperation(M.announcementsDeferred, ['timeout', 'disconnect']).map((m) =>
              m.with({ label: `deferred (${m.label})` }),
            ),
            own(M.outboxDrained).with({ label: 'drained' }),
          ]),
          graph(
            'Sweep recovery: hold, lost partitions, reconciled frames, mass timeout',
            [own(M.lostPartitions), own(M.reconciledFrames)],
            [own(M.sweepHold, 'Maximum'), own(M.massTimeout)],
          ),
          graph(
            'Write guards: frames rate-limited per function, evictions, activity failures',
            perOperation(M.framesRateLimited, ['heartbeat', 'update-presence', 'default']),
            [own(M.connectionsEvicted), own(M.activityFailures)],
          ),
        ],
        [
          graph(
            'Function errors',
            fns.map((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
          ),
          graph(
            'Function throttles',
            fns.map((fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
          ),
          graph('Redis memory and CPU', props.redis.health.memory, props.redis.health.cpu),
        ],
      ],
    });
  }
}
