import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PRESENCE_FUNCTION_NAMES,
  PRESENCE_METRICS,
  type PresenceApi,
  type PresenceFunctionName,
} from '../src/cdk/index.js';
import { variablesOfFunction } from '../src/index.js';
import { usesGroup } from '../src/manifest.js';
import {
  actionsOf,
  DB_SECRET_ARN,
  envOf,
  findCycle,
  logicalIdOf,
  makePresenceApi,
  statementsOf,
} from './cdk-fixtures.js';

// GIVEN the default props (Cognito pool + client, two CORS origins, a direct PostgreSQL with an
// imported credentials secret and security group, no Redis given, the default HTTP API front door)
// — WHEN synthesized once — THEN each test checks one intent of the template.
let stack: Stack;
let api: PresenceApi;
let template: Template;
beforeAll(() => {
  ({ stack, api } = makePresenceApi());
  template = Template.fromStack(stack);
}, 120_000);

const fnId = (name: PresenceFunctionName) => logicalIdOf(stack, api.functions[name]);
const wsApiRef = () => ({ Ref: logicalIdOf(stack, api.webSocketApi) });
const resources = () =>
  template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;

describe('Lambda functions', () => {
  it('creates the manifest functions on Node.js 24, ARM64, from their own bundles', () => {
    template.resourceCountIs('AWS::Lambda::Function', PRESENCE_FUNCTION_NAMES.length);
    expect(Object.keys(api.functions).sort()).toEqual([...PRESENCE_FUNCTION_NAMES].sort());
    const assets = new Set<string>();
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const props = resources()[fnId(name)]?.Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Code: { S3Bucket: expect.any(String), S3Key: expect.stringMatching(/\.zip$/) },
      });
      assets.add((props?.Code as { S3Key: string }).S3Key);
    }
    // Different assets: one bundle per function, not one bundle many times.
    expect(assets.size).toBe(PRESENCE_FUNCTION_NAMES.length);
  });

  it('gives functions 512 MB and 10 s, the sweep 60 s', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(resources()[fnId(name)]?.Properties).toMatchObject({
        MemorySize: 512,
        Timeout: name === 'timeout' ? 60 : 10,
      });
    }
  });

  it('reserves one execution for the sweep, drops a run that cannot start, and reserves nothing for the others', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(resources()[fnId(name)]?.Properties.ReservedConcurrentExecutions, name).toBe(
        name === 'timeout' ? 1 : undefined,
      );
    }
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId('timeout') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('puts every function in the VPC private subnets with the functions security group', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') },
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') },
        ],
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceSecurityGroup'), 'GroupId'] },
        ],
      },
    });
  });

  it('sends every function log to its own log group kept one month, and does not trace', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^Presence.*Logs') } },
      TracingConfig: Match.absent(),
    });
    // One log group per function + WebSocket and REST access logs.
    template.resourcePropertiesCountIs(
      'AWS::Logs::LogGroup',
      { RetentionInDays: 30 },
      PRESENCE_FUNCTION_NAMES.length + 2,
    );
  });
});

describe('environment variables', () => {
  it('gives each function only the variables of its own configuration groups', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const { NODE_EXTRA_CA_CERTS, ...env } = envOf(template, stack, api.functions[name]);
      const own = variablesOfFunction(name);
      for (const variable of Object.keys(env))
        expect(own, `${name}: ${variable}`).toContain(variable);
      expect(NODE_EXTRA_CA_CERTS !== undefined, name).toBe(usesGroup(name, 'database'));
    }
    expect(Object.keys(envOf(template, stack, api.functions.authorizer)).sort()).toEqual([
      'AUTH_COGNITO_CLIENT_ID',
      'AUTH_COGNITO_USER_POOL_ID',
      'AUTH_PROVIDER',
      'LOG_LEVEL',
      'PRESENCE_SERVICE_NAME',
    ]);
    expect(envOf(template, stack, api.functions.authorizer).WEBSOCKET_CALLBACK_URL).toBeUndefined();
    expect(envOf(template, stack, api.functions.default).REDIS_URL).toBeUndefined();
  });

  it('sets the configuration update-presence reads', () => {
    expect(envOf(template, stack, api.functions['update-presence'])).toEqual({
      PRESENCE_TIMEOUT_SECONDS: '180',
      LOG_LEVEL: 'info',
      PRESENCE_SERVICE_NAME: api.metricsServiceName,
      REDIS_URL: {
        'Fn::Join': [
          '',
          [
            'rediss://',
            {
              'Fn::GetAtt': [
                expect.stringMatching(/^PresenceRedisReplicationGroup/),
                'PrimaryEndPoint.Address',
              ],
            },
            ':',
            {
              'Fn::GetAtt': [
                expect.stringMatching(/^PresenceRedisReplicationGroup/),
                'PrimaryEndPoint.Port',
              ],
            },
          ],
        ],
      },
      REDIS_CLUSTER: 'false',
      REDIS_AUTH: 'secret',
      REDIS_AUTH_SECRET_ARN: { Ref: expect.stringMatching(/^PresenceRedisAuthToken/) },
      DB_CONNECTION: 'secret',
      DB_HOST: 'users.cluster-abc.eu-west-1.rds.amazonaws.com',
      DB_PORT: '5432',
      DB_NAME: 'users',
      DB_SECRET_ARN: DB_SECRET_ARN,
      DB_SSL: 'verify-full',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      WEBSOCKET_CALLBACK_URL: {
        'Fn::Join': [
          '',
          ['https://', wsApiRef(), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/prod'],
        ],
      },
    });
  });

  it('never puts a secret value in the environment: secrets go by ARN only', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const env = envOf(template, stack, api.functions[name]);
      expect(JSON.stringify(env)).not.toMatch(/resolve:secretsmanager|resolve:ssm/);
      for (const [key, value] of Object.entries(env)) {
        expect(key).not.toMatch(/PASSWORD|PASSWD|AUTH_TOKEN|SECRET$/);
        if (typeof value === 'string') {
          expect(value).not.toMatch(/^(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z\d]{16,}$/);
        }
      }
    }
  });
});

describe('stage throttling (bounded blast radius)', () => {
  it('throttles the WebSocket stage and the HTTP API stage by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: 1000,
        ThrottlingBurstLimit: 2000,
      }),
      AccessLogSettings: Match.objectLike({
        DestinationArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceWebSocketAccessLogs'), 'Arn'],
        },
      }),
    });
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Stage',
      {
        DefaultRouteSettings: Match.objectLike({
          ThrottlingRateLimit: 1000,
          ThrottlingBurstLimit: 2000,
        }),
      },
      2,
    );
  });
});

describe('WebSocket API', () => {
  it('has exactly the five routes, each on its function, and $connect alone authorized', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route', {
      Properties: { ApiId: wsApiRef() },
    });
    const byKey = Object.fromEntries(
      Object.values(routes).map((r) => [r.Properties.RouteKey, r.Properties]),
    );
    expect(Object.keys(byKey).sort()).toEqual([
      '$connect',
      '$default',
      '$disconnect',
      'heartbeat',
      'update-presence',
    ]);
    const expected: Record<string, PresenceFunctionName> = {
      $connect: 'connect',
      $disconnect: 'disconnect',
      $default: 'default',
      heartbeat: 'heartbeat',
      'update-presence': 'update-presence',
    };
    for (const [routeKey, fn] of Object.entries(expected)) {
      const integrationId = byKey[routeKey].Target['Fn::Join'][1][1].Ref as string;
      expect(JSON.stringify(resources()[integrationId]?.Properties.IntegrationUri)).toContain(
        `"${fnId(fn)}"`,
      );
      expect(byKey[routeKey].AuthorizationType).toBe(routeKey === '$connect' ? 'CUSTOM' : 'NONE');
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.Authorization'],
    });
  });
});

describe('REST routes on the HTTP API (the default front door)', () => {
  const httpRoutes = () =>
    Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { ApiId: { Ref: logicalIdOf(stack, api.httpApi!) } },
      }),
    ).map((r) => r.Properties);

  it('serves GET /presence and GET /presence/{userId} from their functions, verified in the function', () => {
    expect(api.restApi).toBeUndefined();
    const routes = httpRoutes();
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      'DELETE /activity',
      'GET /activity',
      'GET /presence',
      'GET /presence/{userId}',
    ]);
    for (const route of routes) expect(route.AuthorizationType).toBe('NONE');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fnId('get-presence'), 'Arn'] },
    });
  });

  it('answers preflights at the gateway for the allowed origins only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['https://chat.example.com', 'chrome-extension://abcdefghijklmnop'],
        AllowMethods: ['GET', 'OPTIONS', 'DELETE'],
        AllowHeaders: ['Authorization', 'Content-Type'],
        AllowCredentials: false,
        MaxAge: 600,
      },
    });
  });
});

describe('timeout sweep', () => {
  it('runs the timeout function every minute without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [fnId('timeout'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });
});

describe('permissions follow the manifest', () => {
  const connectionsArn = (method: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':execute-api:eu-west-1:123456789012:',
        wsApiRef(),
        `/prod/${method}/@connections/*`,
      ],
    ],
  });

  it('grants ManageConnections on this stage @connections only, POST to senders, DELETE to the sweep and the cap', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const manage = statementsOf(template, stack, api.functions[name]).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('execute-api:')),
      );
      const expected = [
        ...([
          'heartbeat',
          'update-presence',
          'disconnect',
          'default',
          'timeout',
          'graph-changed',
        ].includes(name)
          ? [connectionsArn('POST')]
          : []),
        // The sweep closes stale sockets; connect, heartbeat and update close those over the cap.
        ...(['timeout', 'connect', 'heartbeat', 'update-presence'].includes(name)
          ? [connectionsArn('DELETE')]
          : []),
      ];
      if (expected.length === 0) expect(manage, name).toEqual([]);
      else {
        expect(manage, name).toEqual([
          {
            Action: 'execute-api:ManageConnections',
            Effect: 'Allow',
            Resource: expected.length === 1 ? expected[0] : expected,
          },
        ]);
      }
    }
  });

  it('lets only the Redis users read the Redis AUTH secret, and only the database users the DB secret', () => {
    const redisSecret = { Ref: logicalIdOf(stack, api.redisAuthToken!) };
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const reads = statementsOf(template, stack, api.functions[name])
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .map((s) => s.Resource);
      expect(reads, name).toEqual([
        ...(usesGroup(name, 'redis') ? [redisSecret] : []),
        ...(usesGroup(name, 'database') ? [DB_SECRET_ARN] : []),
      ]);
    }
  });

  it('grants nothing on "*" and nothing beyond secrets and @connections', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      for (const statement of statementsOf(template, stack, api.functions[name])) {
        expect(statement.Resource).not.toBe('*');
        for (const action of actionsOf(statement)) {
          expect(action).toMatch(
            /^(secretsmanager:(GetSecretValue|DescribeSecret)|execute-api:ManageConnections)$/,
          );
        }
      }
    }
  });
});

describe('alarms and dashboard (on by default)', () => {
  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmOn = (metricName: string) =>
    alarms().filter(
      (a) =>
        a.MetricName === metricName ||
        (a.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[] | undefined)?.some(
          (m) => m.MetricStat?.Metric.MetricName === metricName,
        ),
    );
  const dimensionsOf = (alarm: Record<string, unknown>) =>
    Object.fromEntries(
      ((alarm.Dimensions as { Name: string; Value: unknown }[]) ?? []).map((d) => [
        d.Name,
        d.Value,
      ]),
    );

  it('alarms on every request function erroring, not on the authorizer (it fails every refused token)', () => {
    const errors = alarmOn('Errors');
    const watched = errors.map((a) => dimensionsOf(a).FunctionName);
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const expected = name === 'authorizer' ? 0 : 1;
      expect(
        watched.filter((w) => JSON.stringify(w) === JSON.stringify({ Ref: fnId(name) })),
        name,
      ).toHaveLength(expected);
    }
  });

  it('alarms on throttles of every function, ten functions an expression (the CloudWatch limit)', () => {
    const throttles = alarmOn('Throttles');
    expect(throttles.length).toBe(Math.ceil(PRESENCE_FUNCTION_NAMES.length / 10));
    // Each expression: its metrics + the sum.
    const metrics = throttles.map((alarm) => (alarm.Metrics as unknown[]).length - 1);
    expect(metrics.every((n) => n <= 10)).toBe(true);
    expect(metrics.reduce((a, b) => a + b, 0)).toBe(PRESENCE_FUNCTION_NAMES.length);
  });

  it('alarms on the sweep failing, falling behind and stopping', () => {
    const sweepErrors = alarmOn('Errors').filter(
      (a) =>
        JSON.stringify(dimensionsOf(a).FunctionName) === JSON.stringify({ Ref: fnId('timeout') }),
    );
    expect(sweepErrors).toHaveLength(1);
    expect(sweepErrors[0]).toMatchObject({ Threshold: 2 });
    const [behind] = alarmOn(PRESENCE_METRICS.sweepIncomplete);
    expect(behind).toMatchObject({ Namespace: 'Presence', Threshold: 3, Statistic: 'Sum' });
    expect(dimensionsOf(behind!)).toEqual({ service: api.metricsServiceName });
    const [stopped] = alarmOn('Invocations');
    expect(stopped).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on the fan-out failure rate from FramesSent and FramesFailed', () => {
    const [fanOut] = alarmOn(PRESENCE_METRICS.framesFailed);
    expect(fanOut).toBeDefined();
    const metrics = fanOut?.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toContain(
      '100 * failed / (sent + failed)',
    );
    expect(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat?.Metric.MetricName)
        .sort(),
    ).toEqual(['FramesFailed', 'FramesSent']);
  });

  it('alarms on store, database and identity errors, and the REST 5xx rate and latency', () => {
    for (const metric of [
      PRESENCE_METRICS.storeErrors,
      PRESENCE_METRICS.graphErrors,
      PRESENCE_METRICS.identityErrors,
    ]) {
      expect(alarmOn(metric), metric).toHaveLength(1);
    }
    expect(alarmOn('5xx')[0]).toMatchObject({ Statistic: 'Average', Threshold: 0.05 });
    expect(alarmOn('Latency')[0]).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 2000 });
    expect(alarmOn('IntegrationError')[0]).toMatchObject({ Namespace: 'AWS/ApiGateway' });
  });

  it('alarms on the memory and CPU of each Redis node', () => {
    const memory = alarmOn('DatabaseMemoryUsagePercentage');
    const cpu = alarmOn('EngineCPUUtilization');
    expect(memory).toHaveLength(2); // primary + one replica
    expect(cpu).toHaveLength(2);
    // ElastiCache names the member clusters <group>-001, <group>-002.
    expect(memory.map((a) => dimensionsOf(a).CacheClusterId)).toEqual([
      { 'Fn::Join': ['-', [{ Ref: logicalIdOf(stack, api.redisReplicationGroup!) }, '001']] },
      { 'Fn::Join': ['-', [{ Ref: logicalIdOf(stack, api.redisReplicationGroup!) }, '002']] },
    ]);
  });

  it('has no alarm action unless one is given, and one dashboard', () => {
    for (const alarm of alarms()) expect(alarm.AlarmActions).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(api.monitoring?.alarms ?? {}).length).toBe(alarms().length);
  });
});

describe('deployability', () => {
  it('has no dependency cycle (functions reference the API id, never the stage resource)', () => {
    expect(findCycle(template)).toBeUndefined();
  });

  it('outputs the WebSocket and REST URLs', () => {
    template.hasOutput('*', {
      Value: {
        'Fn::Join': [
          '',
          ['wss://', wsApiRef(), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/prod'],
        ],
      },
    });
    expect(Object.keys(template.findOutputs('*')).some((id) => id.includes('RestUrl'))).toBe(true);
  });
});
