import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aws_certificatemanager as acm,
  aws_cloudwatch_actions as actions,
  aws_ec2 as ec2,
  aws_logs as logs,
  aws_rds as rds,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  PRESENCE_FUNCTION_NAMES,
  PresenceApi,
  PresenceDatabase,
  PresenceFrontDoor,
  PresenceIdentity,
  PresenceRedis,
} from '../src/cdk/index.js';
import {
  actionsOf,
  baseProps,
  DB_SECRET_ARN,
  envOf,
  type Fixture,
  findCycle,
  logicalIdOf,
  makePresenceApi,
  makeStack,
  statementsOf,
} from './cdk-fixtures.js';

const REDIS_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:presence/redis-XyZ123';

const proxyOf = (f: Fixture) =>
  rds.DatabaseProxy.fromDatabaseProxyAttributes(f.stack, 'Proxy', {
    dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
    dbProxyName: 'user-service',
    endpoint: 'user-service.proxy-abc.eu-west-1.rds.amazonaws.com',
    securityGroups: [],
  });

describe('PresenceRedis.existing', () => {
  it('uses the endpoint, reads its AUTH secret, creates no cache, and alarms on the given nodes', () => {
    // GIVEN an existing Redis Cluster with TLS and AUTH
    const f = makeStack();
    const authToken = secretsmanager.Secret.fromSecretCompleteArn(
      f.stack,
      'RedisSecret',
      REDIS_SECRET_ARN,
    );
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      f.stack,
      'RedisSg',
      'sg-0redis000000000a',
    );
    // WHEN
    const api = new PresenceApi(
      f.stack,
      'Presence',
      baseProps(f, {
        redis: PresenceRedis.existing({
          endpoint: 'clustercfg.presence.abc.euw1.cache.amazonaws.com',
          port: 6380,
          authToken,
          cluster: true,
          securityGroup,
          cacheClusterIds: ['presence-0001-001'],
        }),
        redisKeyPrefix: 'presence:prod',
      }),
    );
    const template = Template.fromStack(f.stack);
    // THEN
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(envOf(template, f.stack, api.functions.heartbeat)).toMatchObject({
      REDIS_URL: 'rediss://clustercfg.presence.abc.euw1.cache.amazonaws.com:6380',
      REDIS_CLUSTER: 'true',
      REDIS_AUTH: 'secret',
      REDIS_AUTH_SECRET_ARN: REDIS_SECRET_ARN,
      REDIS_KEY_PREFIX: 'presence:prod',
    });
    expect(statementsOf(template, f.stack, api.functions.authorizer)).toEqual([]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6380,
      GroupId: 'sg-0redis000000000a',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EngineCPUUtilization',
      Dimensions: [{ Name: 'CacheClusterId', Value: 'presence-0001-001' }],
    });
  });

  it('speaks plain redis:// without TLS and sets no secret without AUTH', () => {
    const { stack, api } = makePresenceApi({
      redis: PresenceRedis.existing({ endpoint: 'redis.internal', tls: false }),
    });
    const env = envOf(Template.fromStack(stack), stack, api.functions.connect);
    expect(env.REDIS_URL).toBe('redis://redis.internal:6379');
    expect(env.REDIS_AUTH).toBeUndefined();
    expect(env.REDIS_AUTH_SECRET_ARN).toBeUndefined();
  });
});

describe('PresenceRedis.elastiCache in cluster mode, on Valkey', () => {
  it('shards it, points the functions at the configuration endpoint and alarms on every node', () => {
    const { stack, api } = makePresenceApi({
      redis: PresenceRedis.elastiCache({
        engine: 'valkey',
        clusterMode: true,
        shards: 3,
        replicasPerShard: 2,
        nodeType: 'cache.r7g.large',
      }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      EngineVersion: '8.0',
      ClusterMode: 'enabled',
      CacheParameterGroupName: 'default.valkey8.cluster.on',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 2,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
    });
    const env = envOf(template, stack, api.functions.timeout);
    expect(env.REDIS_CLUSTER).toBe('true');
    expect(JSON.stringify(env.REDIS_URL)).toContain('ConfigurationEndPoint.Address');
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'DatabaseMemoryUsagePercentage' },
      9,
    );
  });
});

describe('PresenceRedis.serverless', () => {
  it('creates a Valkey serverless cache behind a user group with a generated password, TLS and cluster protocol', () => {
    const { stack, api } = makePresenceApi({
      redis: PresenceRedis.serverless({ maxDataStorageGb: 5 }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: 'GB' } },
      UserGroupId: { Ref: Match.stringLikeRegexp('UserGroup') },
    });
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'default',
      Passwords: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
    expect(envOf(template, stack, api.functions.connect)).toMatchObject({
      REDIS_CLUSTER: 'true',
      REDIS_AUTH: 'secret',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('bytes') })]),
    });
  });
});

describe('PresenceDatabase.proxy', () => {
  it('connects with IAM auth: rds-db:connect for the user, no password secret at all', () => {
    const f = makeStack();
    const proxySg = ec2.SecurityGroup.fromSecurityGroupId(f.stack, 'ProxySg', 'sg-0proxy00000000a');
    const api = new PresenceApi(
      f.stack,
      'Presence',
      baseProps(f, {
        database: PresenceDatabase.proxy(proxyOf(f), {
          username: 'presence_reader',
          databaseName: 'users',
          ssl: 'require',
          securityGroup: proxySg,
          schema: 'users',
        }),
      }),
    );
    const template = Template.fromStack(f.stack);
    const env = envOf(template, f.stack, api.functions['get-presence']);
    expect(env).toMatchObject({
      DB_CONNECTION: 'iam',
      DB_HOST: 'user-service.proxy-abc.eu-west-1.rds.amazonaws.com',
      DB_USER: 'presence_reader',
      DB_NAME: 'users',
      DB_SSL: 'require',
      DB_SCHEMA: 'users',
    });
    expect(env.DB_SECRET_ARN).toBeUndefined();
    expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const statements = statementsOf(template, f.stack, api.functions[name]);
      const connect = statements.filter((s) => actionsOf(s).includes('rds-db:connect'));
      expect(connect.length, name).toBe(
        envOf(template, f.stack, api.functions[name]).DB_HOST ? 1 : 0,
      );
      expect(JSON.stringify(statements)).not.toContain(DB_SECRET_ARN);
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432,
      GroupId: 'sg-0proxy00000000a',
    });
  });
});

describe('PresenceIdentity.oidc', () => {
  it('configures issuer, JWKS, audiences and the user id claim instead of Cognito', () => {
    const { stack, api } = makePresenceApi({
      identity: PresenceIdentity.oidc({
        issuerUrl: 'https://id.example.com',
        jwksUrl: 'https://id.example.com/.well-known/jwks.json',
        audiences: ['web', 'extension'],
        userIdClaim: 'sub',
      }),
    });
    const env = envOf(Template.fromStack(stack), stack, api.functions.authorizer);
    expect(env).toMatchObject({
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
      AUTH_AUDIENCE: 'web,extension',
      AUTH_USER_ID_CLAIM: 'sub',
    });
    expect(env.AUTH_COGNITO_USER_POOL_ID).toBeUndefined();
  });
});

describe('PresenceFrontDoor.httpApi({ authorization: "jwt" })', () => {
  it("puts the HTTP API's JWT authorizer, on the pool's issuer and clients, in front of both routes", () => {
    const { stack, api } = makePresenceApi({
      frontDoor: PresenceFrontDoor.httpApi({ authorization: 'jwt' }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: ['1example23456789'],
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI',
      },
    });
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Route',
      { ApiId: { Ref: logicalIdOf(stack, api.httpApi!) }, AuthorizationType: 'JWT' },
      4, // GET /presence, GET /presence/{userId}, GET and DELETE /activity
    );
  });
});

describe('PresenceFrontDoor.restApi', () => {
  it('handler: REST API (v1) with CORS preflight, CORS on gateway errors, throttled stage', () => {
    const { stack, api } = makePresenceApi({ frontDoor: PresenceFrontDoor.restApi() });
    const template = Template.fromStack(stack);
    expect(api.httpApi).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 1000,
          ThrottlingBurstLimit: 2000,
        }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
      }),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('associates a WAF web ACL with the stage', () => {
    const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/presence/abc';
    const { stack, api } = makePresenceApi({ frontDoor: PresenceFrontDoor.restApi({ webAclArn }) });
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: webAclArn,
      ResourceArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(stack, api.restApi!) }])],
      }),
    });
  });

  it('lambda: the authorizer function, uncached, on the Authorization header', () => {
    const { stack, api } = makePresenceApi({
      frontDoor: PresenceFrontDoor.restApi({ authorization: 'lambda' }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      {
        HttpMethod: 'GET',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: logicalIdOf(stack, api.restAuthorizer!) },
      },
      3, // GET /presence, GET /presence/{userId}, GET /activity (and DELETE /activity)
    );
  });

  it('cognito: a Cognito user pools authorizer in front of both methods', () => {
    const { stack } = makePresenceApi({
      frontDoor: PresenceFrontDoor.restApi({ authorization: 'cognito' }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { HttpMethod: 'GET', AuthorizationType: 'COGNITO_USER_POOLS' },
      3, // GET /presence, GET /presence/{userId}, GET /activity
    );
  });
});

describe('deployer props', () => {
  it('maps custom domains with their certificates on both APIs and exposes their DNS targets', () => {
    const f = makeStack();
    const certificate = acm.Certificate.fromCertificateArn(
      f.stack,
      'Cert',
      'arn:aws:acm:eu-west-1:123456789012:certificate/0000-1111',
    );
    const api = new PresenceApi(
      f.stack,
      'Presence',
      baseProps(f, {
        webSocketDomain: { domainName: 'ws.presence.example.com', certificate },
        restDomain: { domainName: 'api.presence.example.com', certificate },
      }),
    );
    const template = Template.fromStack(f.stack);
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::DomainName',
      {
        DomainNameConfigurations: [
          Match.objectLike({ SecurityPolicy: 'TLS_1_2', EndpointType: 'REGIONAL' }),
        ],
      },
      2,
    );
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 2);
    expect(api.webSocketUrl).toBe('wss://ws.presence.example.com');
    expect(api.domainTargets.webSocket).toBeDefined();
    expect(api.domainTargets.rest).toBeDefined();
  });

  it('applies per-function memory, timeout and reserved concurrency', () => {
    const { stack, api } = makePresenceApi({
      functionOverrides: {
        'update-presence': { memorySizeMb: 1024, timeoutSeconds: 20, reservedConcurrency: 50 },
        timeout: { reservedConcurrency: 2, timeoutSeconds: 120 },
      },
    });
    const props = (name: 'update-presence' | 'timeout' | 'heartbeat') =>
      Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, api.functions[name])]
        .Properties;
    expect(props('update-presence')).toMatchObject({
      MemorySize: 1024,
      Timeout: 20,
      ReservedConcurrentExecutions: 50,
    });
    expect(props('timeout')).toMatchObject({ Timeout: 120, ReservedConcurrentExecutions: 2 });
    expect(props('heartbeat')).toMatchObject({ MemorySize: 512, Timeout: 10 });
  });

  it('creates a Secrets Manager interface endpoint, open to the functions only', () => {
    const { stack } = makePresenceApi({ secretsManagerEndpoint: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: 'com.amazonaws.eu-west-1.secretsmanager',
    });
    template.resourcePropertiesCountIs(
      'AWS::EC2::VPCEndpoint',
      { ServiceName: Match.stringLikeRegexp('execute-api') },
      0,
    );
  });

  it('hooks every alarm to the given action, and leaves monitoring out when asked', () => {
    const f = makeStack();
    const topic = new sns.Topic(f.stack, 'OnCall');
    new PresenceApi(
      f.stack,
      'Presence',
      baseProps(f, { alarmActions: [new actions.SnsAction(topic)] }),
    );
    const alarms = Object.values(
      Template.fromStack(f.stack).findResources('AWS::CloudWatch::Alarm'),
    );
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalIdOf(f.stack, topic) }]);
    }
    const { stack } = makePresenceApi({ monitoring: false });
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  it('applies timing, throttling, logging, metrics and tracing props', () => {
    const { stack, api } = makePresenceApi({
      presenceTimeoutSeconds: 300,
      sweepIntervalSeconds: 120,
      sweepBatchSize: 200,
      sweepAnnounceAfter: 20_000,
      stageName: 'v1',
      throttlingRateLimitPerSecond: 500,
      throttlingBurstLimit: 1000,
      logLevel: 'warn',
      logSampleRate: 0.01,
      logRetention: logs.RetentionDays.ONE_WEEK,
      metricsNamespace: 'Presence/v1',
      tracingEnabled: true,
      gatewayTransport: 'signed-http',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    expect(envOf(template, stack, api.functions.timeout)).toMatchObject({
      PRESENCE_TIMEOUT_SECONDS: '300',
      PRESENCE_SWEEP_BATCH_SIZE: '200',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '20000',
      LOG_LEVEL: 'warn',
      LOG_SAMPLE_RATE: '0.01',
      METRICS_NAMESPACE: 'Presence/v1',
      TRACING: 'true',
      GATEWAY_TRANSPORT: 'signed-http',
    });
    // Only the sweep reads the sweep variables.
    expect(
      envOf(template, stack, api.functions.heartbeat).PRESENCE_SWEEP_BATCH_SIZE,
    ).toBeUndefined();
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Stage',
      {
        StageName: 'v1',
        DefaultRouteSettings: Match.objectLike({
          ThrottlingRateLimit: 500,
          ThrottlingBurstLimit: 1000,
        }),
      },
      2,
    );
    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Presence/v1' });
    expect(findCycle(template)).toBeUndefined();
  });
});

describe('function bundles', () => {
  it('fails at synth, naming the file and the fix, when a bundle is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'presence-no-bundles-'));
    expect(() => makePresenceApi({ functionsCodeDirectory: empty })).toThrow(
      /bundle of the "authorizer" function is missing: .*authorizer[/\\]index\.mjs does not exist\. Build @presence\/lambda first/,
    );
  });
});

describe('prop validation: the functions own rules, applied at synth, plus what the types cannot say', () => {
  const invalid: [string, Parameters<typeof makePresenceApi>[0], RegExp][] = [
    [
      'a sweep interval not below the timeout',
      { presenceTimeoutSeconds: 120, sweepIntervalSeconds: 120 },
      /sweepIntervalSeconds \(120\) must be below presenceTimeoutSeconds \(120\)/,
    ],
    [
      'a sweep interval that is not whole minutes',
      { sweepIntervalSeconds: 90 },
      /sweepIntervalSeconds must be a whole number of minutes/,
    ],
    [
      'a fractional timeout (the config rule)',
      { presenceTimeoutSeconds: 180.5 },
      /presenceTimeoutSeconds \(PRESENCE_TIMEOUT_SECONDS\) must be a whole number from 10 to 86400/,
    ],
    [
      'a request timeout beyond API Gateway',
      { functionTimeoutSeconds: 30 },
      /functionTimeoutSeconds must be an integer from 1 to 29/,
    ],
    [
      'too little memory',
      { memorySizeMb: 64 },
      /memorySizeMb must be an integer from 128 to 10240/,
    ],
    [
      'a per-function timeout beyond API Gateway',
      { functionOverrides: { heartbeat: { timeoutSeconds: 60 } } },
      /functionOverrides.heartbeat.timeoutSeconds must be an integer from 1 to 29/,
    ],
    [
      'a sweep round of no users',
      { sweepAnnounceAfter: 0 },
      /sweepAnnounceAfter \(PRESENCE_SWEEP_ANNOUNCE_AFTER\) must be a whole number/,
    ],
    [
      'a huge sweep batch',
      { sweepBatchSize: 50_000 },
      /sweepBatchSize \(PRESENCE_SWEEP_BATCH_SIZE\) must be a whole number from 1 to 10000/,
    ],
    [
      'a log sample rate above 1',
      { logSampleRate: 2 },
      /logSampleRate \(LOG_SAMPLE_RATE\) must be a number from 0 to 1/,
    ],
    [
      'an origin with a path',
      { allowedOrigins: ['https://chat.example.com/app'] },
      /allowedOrigins \(CORS_ALLOWED_ORIGINS\) has "https:\/\/chat\.example\.com\/app"/,
    ],
    [
      '"*" among other origins',
      { allowedOrigins: ['*', 'https://a.example'] },
      /"\*", which allows every origin: give it alone/,
    ],
    [
      'a bad key prefix',
      { redisKeyPrefix: 'has space' },
      /redisKeyPrefix \(REDIS_KEY_PREFIX\) must be 1-64 characters/,
    ],
    [
      'a Cognito REST authorizer with an OIDC identity',
      {
        identity: PresenceIdentity.oidc({
          issuerUrl: 'https://i.example',
          jwksUrl: 'https://i.example/j',
        }),
        frontDoor: PresenceFrontDoor.restApi({ authorization: 'cognito' }),
      },
      /authorization: "cognito" \}\) needs PresenceIdentity.cognito/,
    ],
    [
      'a JWT authorizer without audiences',
      {
        identity: PresenceIdentity.oidc({
          issuerUrl: 'https://i.example',
          jwksUrl: 'https://i.example/j',
        }),
        frontDoor: PresenceFrontDoor.httpApi({ authorization: 'jwt' }),
      },
      /the JWT authorizer requires one/,
    ],
  ];
  for (const [what, overrides, message] of invalid) {
    it(`rejects ${what}`, () => {
      expect(() => makePresenceApi(overrides)).toThrow(message);
    });
  }

  it('checks a database schema with the config rule', () => {
    const f = makeStack();
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'BadSchema',
          baseProps(f, {
            database: PresenceDatabase.direct({
              host: 'db',
              credentials: f.dbSecret,
              schema: 'a;b',
            }),
          }),
        ),
    ).toThrow(/database schema \(DB_SCHEMA\) must be a plain SQL identifier/);
  });

  it('names every problem in one error', () => {
    expect(() =>
      makePresenceApi({ sweepIntervalSeconds: 30, memorySizeMb: 1, allowedOrigins: ['nope'] }),
    ).toThrow(
      /PresenceApi: invalid props:\n- allowedOrigins.*\n- sweepIntervalSeconds must be a whole number.*\n- memorySizeMb/s,
    );
  });
});
