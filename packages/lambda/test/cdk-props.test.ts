import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aws_ec2 as ec2,
  aws_logs as logs,
  aws_rds as rds,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PRESENCE_FUNCTION_NAMES, PresenceApi, type PresenceApiProps } from '../src/cdk/index.js';
import {
  actionsOf,
  baseProps,
  DB_SECRET_ARN,
  envOf,
  findCycle,
  logicalIdOf,
  makePresenceApi,
  makeStack,
  statementsOf,
} from './cdk-fixtures.js';

const REDIS_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:presence/redis-XyZ123';

describe('given Redis', () => {
  it('uses the endpoint, reads its AUTH secret and creates no ElastiCache', () => {
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
        redis: {
          endpoint: 'clustercfg.presence.abc.euw1.cache.amazonaws.com',
          port: 6380,
          authToken,
          cluster: true,
          securityGroup,
        },
        redisKeyPrefix: 'presence:prod',
      }),
    );
    const template = Template.fromStack(f.stack);
    // THEN
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(api.redisReplicationGroup).toBeUndefined();
    expect(envOf(template, f.stack, api.functions.heartbeat)).toMatchObject({
      REDIS_URL: 'rediss://clustercfg.presence.abc.euw1.cache.amazonaws.com:6380',
      REDIS_CLUSTER: 'true',
      REDIS_AUTH_SECRET_ARN: REDIS_SECRET_ARN,
      REDIS_KEY_PREFIX: 'presence:prod',
    });
    expect(
      statementsOf(template, f.stack, api.functions.heartbeat).filter(
        (s) => s.Resource === REDIS_SECRET_ARN,
      ),
    ).toHaveLength(1);
    expect(statementsOf(template, f.stack, api.functions.authorizer)).toEqual([]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6380,
      ToPort: 6380,
      GroupId: 'sg-0redis000000000a',
    });
  });

  it('speaks plain redis:// without TLS and sets no secret without AUTH', () => {
    const { stack, api } = makePresenceApi({ redis: { endpoint: 'redis.internal', tls: false } });
    const env = envOf(Template.fromStack(stack), stack, api.functions.connect);
    expect(env.REDIS_URL).toBe('redis://redis.internal:6379');
    expect(env.REDIS_CLUSTER).toBe('false');
    expect(env.REDIS_AUTH_SECRET_ARN).toBeUndefined();
  });
});

describe('created Redis in cluster mode', () => {
  it('shards it and points the functions at the configuration endpoint', () => {
    // GIVEN / WHEN
    const { stack, api } = makePresenceApi({
      redisClusterModeEnabled: true,
      redisShardCount: 3,
      redisReplicasPerShard: 2,
      redisNodeType: 'cache.r7g.large',
    });
    const template = Template.fromStack(stack);
    // THEN
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ClusterMode: 'enabled',
      CacheParameterGroupName: 'default.redis7.cluster.on',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 2,
      CacheNodeType: 'cache.r7g.large',
      NumCacheClusters: Match.absent(),
      AutomaticFailoverEnabled: true,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
    });
    const env = envOf(template, stack, api.functions.timeout);
    expect(env.REDIS_CLUSTER).toBe('true');
    expect(JSON.stringify(env.REDIS_URL)).toContain('ConfigurationEndPoint.Address');
  });
});

describe('PostgreSQL through RDS Proxy', () => {
  it('connects with IAM auth: rds-db:connect for the user, no password secret at all', () => {
    // GIVEN a proxy with IAM authentication
    const f = makeStack();
    const proxySg = ec2.SecurityGroup.fromSecurityGroupId(f.stack, 'ProxySg', 'sg-0proxy00000000a');
    const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(f.stack, 'Proxy', {
      dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
      dbProxyName: 'user-service',
      endpoint: 'user-service.proxy-abc.eu-west-1.rds.amazonaws.com',
      securityGroups: [proxySg],
    });
    // WHEN
    const api = new PresenceApi(
      f.stack,
      'Presence',
      baseProps(f, {
        database: {
          proxy,
          username: 'presence_reader',
          databaseName: 'users',
          ssl: 'require',
          securityGroup: proxySg,
          schema: 'users',
        },
      }),
    );
    const template = Template.fromStack(f.stack);
    // THEN
    const env = envOf(template, f.stack, api.functions['get-presence']);
    expect(env).toMatchObject({
      DB_HOST: 'user-service.proxy-abc.eu-west-1.rds.amazonaws.com',
      DB_USER: 'presence_reader',
      DB_NAME: 'users',
      DB_IAM_AUTH: 'true',
      DB_SSL: 'require',
      DB_SCHEMA: 'users',
    });
    expect(env.DB_SECRET_ARN).toBeUndefined();
    expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const statements = statementsOf(template, f.stack, api.functions[name]);
      const connect = statements.filter((s) => actionsOf(s).includes('rds-db:connect'));
      const usesDb = [
        'update-presence',
        'disconnect',
        'timeout',
        'get-presence',
        'get-user-presence',
      ].includes(name);
      expect(connect, name).toHaveLength(usesDb ? 1 : 0);
      if (usesDb) {
        expect(JSON.stringify(connect[0]?.Resource)).toContain('dbuser:');
        expect(JSON.stringify(connect[0]?.Resource)).toContain('/presence_reader');
      }
      expect(JSON.stringify(statements)).not.toContain(DB_SECRET_ARN);
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432,
      GroupId: 'sg-0proxy00000000a',
    });
  });
});

describe('generic OIDC issuer', () => {
  it('configures issuer, JWKS, audiences and the user id claim instead of Cognito', () => {
    const { stack, api } = makePresenceApi({
      userPool: undefined,
      userPoolClients: undefined,
      authIssuerUrl: 'https://id.example.com',
      authJwksUrl: 'https://id.example.com/.well-known/jwks.json',
      authAudience: ['web', 'extension'],
      userIdClaim: 'sub',
    });
    const env = envOf(Template.fromStack(stack), stack, api.functions.authorizer);
    expect(env).toMatchObject({
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
      AUTH_AUDIENCE: 'web,extension',
      AUTH_USER_ID_CLAIM: 'sub',
    });
    expect(env.AUTH_COGNITO_USER_POOL_ID).toBeUndefined();
    expect(env.AUTH_COGNITO_CLIENT_ID).toBeUndefined();
  });
});

describe('REST authorization "lambda"', () => {
  it('puts the authorizer function, uncached, on the Authorization header in front of both methods', () => {
    const { stack, api } = makePresenceApi({ restAuthorization: 'lambda' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        'Fn::Join': [
          '',
          Match.arrayWith([
            { 'Fn::GetAtt': [logicalIdOf(stack, api.functions.authorizer), 'Arn'] },
          ]),
        ],
      }),
    });
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      {
        HttpMethod: 'GET',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: logicalIdOf(stack, api.restAuthorizer!) },
      },
      2,
    );
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, api.functions.authorizer), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/authorizers/'])] }),
    });
  });
});

describe('REST authorization "cognito"', () => {
  it('puts a Cognito user pools authorizer on the Authorization header in front of both methods', () => {
    const { stack, api } = makePresenceApi({ restAuthorization: 'cognito' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [
        Match.objectLike({
          'Fn::Join': [
            '',
            Match.arrayWith([':cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI']),
          ],
        }),
      ],
    });
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      {
        HttpMethod: 'GET',
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: logicalIdOf(stack, api.restAuthorizer!) },
      },
      2,
    );
  });
});

describe('CORS', () => {
  it('without origins: no preflight, no gateway responses, no CORS variable', () => {
    const { stack, api } = makePresenceApi({ allowedOrigins: [] });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' }, 0);
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
    expect(
      envOf(template, stack, api.functions['get-presence']).CORS_ALLOWED_ORIGINS,
    ).toBeUndefined();
  });

  it('with one origin: gateway errors name it', () => {
    const { stack } = makePresenceApi({ allowedOrigins: ['http://localhost:4200'] });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: {
        'gatewayresponse.header.Access-Control-Allow-Origin': "'http://localhost:4200'",
      },
    });
  });
});

describe('tuning', () => {
  it('applies timing, stage, throttling, memory, logging and tracing props', () => {
    // GIVEN every tuning prop
    const { stack, api } = makePresenceApi({
      presenceTimeoutSeconds: 300,
      sweepIntervalSeconds: 120,
      sweepBatchSize: 200,
      sweepAnnounceAfter: 20_000,
      stageName: 'v1',
      throttlingRateLimitPerSecond: 500,
      throttlingBurstLimit: 1000,
      memorySizeMb: 1024,
      functionTimeoutSeconds: 20,
      sweepFunctionTimeoutSeconds: 110,
      logLevel: 'warn',
      logRetention: logs.RetentionDays.ONE_WEEK,
      tracingEnabled: true,
      cloudWatchRole: true,
      gatewayTransport: 'signed-http',
    });
    const template = Template.fromStack(stack);
    // THEN
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    expect(envOf(template, stack, api.functions.timeout)).toMatchObject({
      PRESENCE_TIMEOUT_SECONDS: '300',
      PRESENCE_SWEEP_BATCH_SIZE: '200',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '20000',
      LOG_LEVEL: 'warn',
      GATEWAY_TRANSPORT: 'signed-http',
    });
    expect(
      JSON.stringify(envOf(template, stack, api.functions.timeout).WEBSOCKET_CALLBACK_URL),
    ).toMatch(/"\/v1"\]\]\}$/);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'v1',
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 110,
      TracingConfig: { Mode: 'Active' },
    });
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { MemorySize: 1024, Timeout: 20, TracingConfig: { Mode: 'Active' } },
      8,
    );
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 11);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    expect(findCycle(template)).toBeUndefined();
  });

  it('uses the given security groups for the functions', () => {
    const f = makeStack();
    const sg = new ec2.SecurityGroup(f.stack, 'Mine', { vpc: f.vpc });
    const api = new PresenceApi(f.stack, 'Presence', baseProps(f, { securityGroups: [sg] }));
    expect(api.securityGroups).toEqual([sg]);
    Template.fromStack(f.stack).allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(f.stack, sg), 'GroupId'] }],
      }),
    });
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

describe('prop validation', () => {
  const invalid: [string, Partial<PresenceApiProps>, RegExp][] = [
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
      'a fractional timeout',
      { presenceTimeoutSeconds: 180.5 },
      /presenceTimeoutSeconds must be a positive integer/,
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
      'a sweep round of no users',
      { sweepAnnounceAfter: 0 },
      /sweepAnnounceAfter must be an integer from 1 to 10000000/,
    ],
    [
      'a huge sweep batch',
      { sweepBatchSize: 50_000 },
      /sweepBatchSize must be an integer from 1 to 10000/,
    ],
    [
      'no identity provider',
      { userPool: undefined, userPoolClients: undefined },
      /an identity provider is required/,
    ],
    [
      'both identity providers',
      { authIssuerUrl: 'https://id.example.com', authJwksUrl: 'https://id.example.com/jwks' },
      /either userPool \(Cognito\) or authIssuerUrl/,
    ],
    [
      'an issuer without JWKS',
      { userPool: undefined, userPoolClients: undefined, authIssuerUrl: 'https://id.example.com' },
      /authJwksUrl is required with authIssuerUrl/,
    ],
    [
      'a Cognito REST authorizer without a pool',
      {
        userPool: undefined,
        userPoolClients: undefined,
        authIssuerUrl: 'https://i.example',
        authJwksUrl: 'https://i.example/j',
        restAuthorization: 'cognito',
      },
      /restAuthorization "cognito" needs userPool/,
    ],
    [
      'an origin with a path',
      { allowedOrigins: ['https://chat.example.com/app'] },
      /allowedOrigins entries must be origins .* got "https:\/\/chat\.example\.com\/app"/,
    ],
    [
      '"*" among other origins',
      { allowedOrigins: ['*', 'https://a.example'] },
      /"\*" allows every origin: give it alone/,
    ],
    [
      'created-Redis props beside a given Redis',
      { redis: { endpoint: 'r.example' }, redisNodeType: 'cache.t4g.micro' },
      /redisNodeType configure the Redis the construct creates/,
    ],
    [
      'shards without cluster mode',
      { redisShardCount: 2 },
      /redisShardCount needs redisClusterModeEnabled/,
    ],
    ['a bad key prefix', { redisKeyPrefix: 'has space' }, /redisKeyPrefix must be 1-64 characters/],
    [
      'an unknown gateway transport',
      { gatewayTransport: 'fetch' as PresenceApiProps['gatewayTransport'] },
      /gatewayTransport must be 'sdk' or 'signed-http', got "fetch"/,
    ],
  ];
  for (const [what, overrides, message] of invalid) {
    it(`rejects ${what}`, () => {
      expect(() => makePresenceApi(overrides)).toThrow(message);
    });
  }

  it('rejects database connections that cannot work', () => {
    const f = makeStack();
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'NoHost',
          baseProps(f, { database: { databaseName: 'users', credentials: f.dbSecret } }),
        ),
    ).toThrow(/database\.host is required without database\.proxy/);
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'NoCredentials',
          baseProps(f, { database: { host: 'db', databaseName: 'users' } }),
        ),
    ).toThrow(/database\.credentials is required without database\.proxy/);
    const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(f.stack, 'Proxy', {
      dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
      dbProxyName: 'p',
      endpoint: 'p.proxy-abc.eu-west-1.rds.amazonaws.com',
      securityGroups: [],
    });
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'NoUser',
          baseProps(f, { database: { proxy, databaseName: 'users' } }),
        ),
    ).toThrow(/database\.username is required with database\.proxy/);
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'PreparedBehindProxy',
          baseProps(f, {
            database: { proxy, username: 'u', databaseName: 'users', preparedStatements: true },
          }),
        ),
    ).toThrow(/database\.preparedStatements cannot be used with database\.proxy/);
    const direct = new PresenceApi(
      f.stack,
      'PreparedDirect',
      baseProps(f, {
        database: {
          host: 'db',
          databaseName: 'users',
          credentials: f.dbSecret,
          preparedStatements: true,
        },
      }),
    );
    expect(
      envOf(Template.fromStack(f.stack), f.stack, direct.functions['get-presence'])
        .DB_PREPARED_STATEMENTS,
    ).toBe('true');
    expect(
      () =>
        new PresenceApi(
          f.stack,
          'BadSchema',
          baseProps(f, {
            database: { host: 'db', databaseName: 'u', credentials: f.dbSecret, schema: 'a;b' },
          }),
        ),
    ).toThrow(/database\.schema must be a plain SQL identifier/);
  });

  it('names every problem in one error', () => {
    expect(() =>
      makePresenceApi({ sweepIntervalSeconds: 30, memorySizeMb: 1, allowedOrigins: ['nope'] }),
    ).toThrow(
      /PresenceApi: invalid props:\n- sweepIntervalSeconds must be a whole number.*\n- memorySizeMb.*\n- allowedOrigins/s,
    );
  });
});
