import { ConfigError } from '@presence/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type FunctionEnv,
  PRESENCE_FUNCTION_NAMES,
  type PresenceEnv,
  parseConfig,
  parseFunctionConfig,
  variablesOfFunction,
} from '../src/index.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/db-AbCdEf';

/** The smallest deployed environment: Cognito, an ElastiCache URL, a database secret. */
const minimal = {
  AUTH_PROVIDER: 'cognito',
  AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
  REDIS_URL: 'rediss://master.presence-cache.abc123.use1.cache.amazonaws.com:6379',
  DB_CONNECTION: 'secret',
  DB_HOST: 'users.cluster-abc123.us-east-1.rds.amazonaws.com',
  DB_SECRET_ARN: SECRET_ARN,
  WEBSOCKET_CALLBACK_URL: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
} satisfies PresenceEnv;

const problemsOf = (env: Record<string, string | undefined>): string => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('parseConfig accepted the environment');
};

describe('parseConfig', () => {
  it('applies the documented defaults to the smallest deployed environment', () => {
    // Act
    const config = parseConfig({ ...minimal, AWS_REGION: 'us-east-1' });
    // Assess
    expect(config).toEqual({
      presence: {
        timeoutSeconds: 180,
        maxConnectionsPerUser: 20,
        frameRateLimit: undefined,
        frameRefreshSeconds: 600,
        lastSeenDays: 30,
        lastSeenGranularitySeconds: 300,
      },
      sweep: { batchSize: 500, announceAfter: 100_000 },
      observability: {
        logLevel: 'info',
        logSampleRate: 0,
        metrics: 'emf',
        metricsNamespace: 'Presence',
        serviceName: 'presence',
        tracing: false,
      },
      redis: {
        url: minimal.REDIS_URL,
        tls: true,
        cluster: false,
        keyPrefix: 'presence',
        authSecretArn: undefined,
      },
      database: {
        kind: 'secret',
        host: minimal.DB_HOST,
        port: 5432,
        ssl: 'verify-full',
        secretArn: SECRET_ARN,
        database: undefined,
        user: undefined,
        preparedStatements: false,
        schema: undefined,
      },
      identity: {
        kind: 'cognito',
        userPoolId: 'us-east-1_AbCdEf123',
        clientIds: [],
        userIdClaim: 'cognito:username',
      },
      gateway: { callbackUrl: minimal.WEBSOCKET_CALLBACK_URL, transport: 'sdk' },
      cors: { allowedOrigins: [] },
      aws: { region: 'us-east-1' },
      friendCache: { ttlSeconds: 0 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable the CDK construct may set', () => {
    const config = parseConfig({
      ...minimal,
      PRESENCE_TIMEOUT_SECONDS: '240',
      PRESENCE_SWEEP_BATCH_SIZE: '250',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '20000',
      PRESENCE_MAX_CONNECTIONS_PER_USER: '5',
      PRESENCE_FRAME_RATE_PER_SECOND: '0.5',
      PRESENCE_FRAME_RATE_BURST: '4',
      PRESENCE_FRAME_REFRESH_SECONDS: '0',
      PRESENCE_LAST_SEEN_DAYS: '0',
      PRESENCE_LAST_SEEN_GRANULARITY_SECONDS: '60',
      LOG_LEVEL: 'debug',
      LOG_SAMPLE_RATE: '0.05',
      METRICS_NAMESPACE: 'Presence/prod',
      PRESENCE_SERVICE_NAME: 'presence-prod',
      TRACING: 'true',
      REDIS_AUTH: 'secret',
      REDIS_CLUSTER: 'true',
      REDIS_AUTH_SECRET_ARN:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/redis-XyZ',
      REDIS_KEY_PREFIX: 'presence-prod',
      DB_PORT: '6543',
      DB_SSL: 'require',
      DB_NAME: 'users',
      DB_USER: 'reader',
      DB_SCHEMA: 'users_v2',
      DB_PREPARED_STATEMENTS: 'true',
      AUTH_COGNITO_CLIENT_ID: 'client-a, client-b',
      CORS_ALLOWED_ORIGINS:
        'https://chat.example.com, chrome-extension://abcdefghijklmnopabcdefghijklmnop,http://localhost:4200',
      WEBSOCKET_CALLBACK_URL: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/',
      GATEWAY_TRANSPORT: 'signed-http',
      PRESENCE_FRIEND_CACHE_SECONDS: '300',
    } satisfies PresenceEnv);
    expect(config).toMatchObject({
      presence: {
        timeoutSeconds: 240,
        maxConnectionsPerUser: 5,
        frameRateLimit: { perSecond: 0.5, burst: 4 },
        frameRefreshSeconds: 0,
        lastSeenDays: 0,
        lastSeenGranularitySeconds: 60,
      },
      sweep: { batchSize: 250, announceAfter: 20_000 },
      observability: {
        logLevel: 'debug',
        logSampleRate: 0.05,
        metricsNamespace: 'Presence/prod',
        serviceName: 'presence-prod',
        tracing: true,
      },
      redis: {
        cluster: true,
        tls: true,
        keyPrefix: 'presence-prod',
        authSecretArn: expect.stringContaining('redis'),
      },
      database: {
        kind: 'secret',
        port: 6543,
        ssl: 'require',
        database: 'users',
        user: 'reader',
        schema: 'users_v2',
        preparedStatements: true,
      },
      identity: { kind: 'cognito', clientIds: ['client-a', 'client-b'] },
      cors: {
        allowedOrigins: [
          'https://chat.example.com',
          'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
          'http://localhost:4200',
        ],
      },
      gateway: {
        callbackUrl: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
        transport: 'signed-http',
      },
      friendCache: { ttlSeconds: 300 },
    });
  });

  it('defaults the burst of a frame rate to ten frames or one second of them, whichever is more', () => {
    const burstOf = (rate: string) =>
      parseConfig({ ...minimal, PRESENCE_FRAME_RATE_PER_SECOND: rate }).presence.frameRateLimit;
    expect(burstOf('2')).toEqual({ perSecond: 2, burst: 10 });
    expect(burstOf('25.5')).toEqual({ perSecond: 25.5, burst: 26 });
  });

  it('takes an OIDC issuer with sub as the default user id claim, and a development DATABASE_URL', () => {
    const config = parseConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DB_CONNECTION: 'url',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: 'https://login.example.com/',
      AUTH_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
      AUTH_AUDIENCE: 'presence',
      WEBSOCKET_CALLBACK_URL: 'http://127.0.0.1:3001/local',
    } satisfies PresenceEnv);
    expect(config.identity).toEqual({
      kind: 'oidc',
      issuer: 'https://login.example.com/',
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
      audiences: ['presence'],
      userIdClaim: 'sub',
    });
    expect(config.database).toEqual({
      kind: 'url',
      url: 'postgres://postgres@127.0.0.1:5432/test',
      ssl: undefined,
      preparedStatements: false,
      schema: undefined,
    });
    expect(config.redis.tls).toBe(false);
  });

  it('reads RDS Proxy with IAM authentication, where prepared statements are refused', () => {
    const { DB_SECRET_ARN: _secret, ...withoutSecret } = minimal;
    const iam = {
      ...withoutSecret,
      DB_CONNECTION: 'iam',
      DB_NAME: 'users',
      DB_USER: 'presence_reader',
    } satisfies PresenceEnv;
    expect(parseConfig(iam).database).toEqual({
      kind: 'iam',
      host: minimal.DB_HOST,
      port: 5432,
      ssl: 'verify-full',
      database: 'users',
      user: 'presence_reader',
      preparedStatements: false,
      schema: undefined,
    });
    expect(problemsOf({ ...iam, DB_PREPARED_STATEMENTS: 'true' })).toContain(
      'DB_PREPARED_STATEMENTS cannot be true behind RDS Proxy',
    );
    expect(problemsOf({ ...iam, DB_USER: undefined })).toContain('DB_USER is required');
  });

  it('treats empty and blank strings as unset (CloudFormation writes "" for absent optionals)', () => {
    const config = parseConfig({
      ...minimal,
      LOG_LEVEL: '',
      REDIS_KEY_PREFIX: ' ',
      DB_SSL: '',
      GATEWAY_TRANSPORT: '',
    });
    expect(config.observability.logLevel).toBe('info');
    expect(config.gateway.transport).toBe('sdk');
    expect(config.redis.keyPrefix).toBe('presence');
    expect(config.database).toMatchObject({ ssl: 'verify-full' });
  });

  it('names every problem of an empty environment in one ConfigError', () => {
    const message = problemsOf({});
    expect(message).toMatch(/^Invalid presence configuration: /);
    for (const problem of [
      'REDIS_URL is required',
      'DB_CONNECTION must be url, secret or iam',
      'AUTH_PROVIDER must be cognito or oidc',
      'WEBSOCKET_CALLBACK_URL is required',
    ]) {
      expect(message).toContain(problem);
    }
  });

  it('names the problems of every group together', () => {
    // Prepare
    const env = {
      PRESENCE_TIMEOUT_SECONDS: 'three minutes',
      PRESENCE_SWEEP_BATCH_SIZE: '0',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '-5',
      PRESENCE_MAX_CONNECTIONS_PER_USER: '0',
      PRESENCE_FRAME_RATE_PER_SECOND: '0',
      PRESENCE_LAST_SEEN_DAYS: 'forever',
      LOG_LEVEL: 'verbose',
      LOG_SAMPLE_RATE: '2',
      TRACING: 'maybe',
      REDIS_URL: 'http://cache:6379',
      REDIS_CLUSTER: 'yes',
      REDIS_KEY_PREFIX: 'has {braces}',
      REDIS_AUTH: 'secret',
      REDIS_AUTH_SECRET_ARN: 'my-secret',
      DB_CONNECTION: 'secret',
      DB_HOST: 'db.internal',
      DB_PORT: '70000',
      DB_SSL: 'prefer',
      DB_PREPARED_STATEMENTS: 'sometimes',
      DB_SCHEMA: 'drop table;',
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: 'not a url',
      AUTH_JWKS_URL: 'http://keys.example.com/jwks.json',
      WEBSOCKET_CALLBACK_URL: 'ftp://gateway',
      GATEWAY_TRANSPORT: 'fast',
      CORS_ALLOWED_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
    };
    // Act
    const message = problemsOf(env);
    // Assess: one message, every variable named
    for (const problem of [
      'PRESENCE_TIMEOUT_SECONDS must be a whole number from 10 to 86400',
      'PRESENCE_SWEEP_BATCH_SIZE must be a whole number from 1 to 10000',
      'PRESENCE_SWEEP_ANNOUNCE_AFTER',
      'PRESENCE_MAX_CONNECTIONS_PER_USER must be a whole number from 1 to 1000',
      'PRESENCE_FRAME_RATE_PER_SECOND must be a number above 0 and at most 1000',
      'PRESENCE_LAST_SEEN_DAYS must be a whole number from 0 to 3650',
      'LOG_LEVEL must be debug, info, warn or error',
      'LOG_SAMPLE_RATE must be a number from 0 to 1',
      'TRACING must be "true" or "false"',
      'REDIS_URL must be a redis:// or rediss:// URL',
      'REDIS_CLUSTER',
      'REDIS_KEY_PREFIX',
      'REDIS_AUTH_SECRET_ARN must be a Secrets Manager secret ARN',
      'DB_SECRET_ARN is required',
      'DB_PORT',
      'DB_SSL must be disable, require or verify-full',
      'DB_PREPARED_STATEMENTS',
      'DB_SCHEMA must be a plain SQL identifier',
      'AUTH_ISSUER must be a URL',
      'AUTH_JWKS_URL must be an https:// URL (http:// only on a loopback host)',
      'WEBSOCKET_CALLBACK_URL must be an https:// URL',
      'GATEWAY_TRANSPORT must be sdk or signed-http',
      'CORS_ALLOWED_ORIGINS has "https://bad.example.com/path"',
    ]) {
      expect(message).toContain(problem);
    }
  });

  it.each([
    [{ AUTH_COGNITO_USER_POOL_ID: 'AbCdEf123' }, 'must look like us-east-1_AbCdEf123'],
    [{ AUTH_PROVIDER: 'auth0' }, 'AUTH_PROVIDER must be cognito or oidc'],
    [{ DB_CONNECTION: 'url' }, 'DATABASE_URL is required'],
    [
      { DB_CONNECTION: 'url', DATABASE_URL: 'mysql://db/users' },
      'DATABASE_URL must be a postgres:// URL',
    ],
    [{ REDIS_URL: undefined }, 'REDIS_URL is required'],
    [
      { PRESENCE_FRAME_RATE_BURST: '5' },
      'PRESENCE_FRAME_RATE_BURST is set without PRESENCE_FRAME_RATE_PER_SECOND',
    ],
    [
      { WEBSOCKET_CALLBACK_URL: 'http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod' },
      'WEBSOCKET_CALLBACK_URL',
    ],
    [
      { PRESENCE_FRIEND_CACHE_SECONDS: '3601' },
      'PRESENCE_FRIEND_CACHE_SECONDS must be a whole number from 0 to 3600',
    ],
    [
      { PRESENCE_FRIEND_CACHE_SECONDS: '-1' },
      'PRESENCE_FRIEND_CACHE_SECONDS must be a whole number from 0 to 3600',
    ],
    [{ PRESENCE_FRIEND_CACHE_SECONDS: '1.5' }, 'PRESENCE_FRIEND_CACHE_SECONDS'],
  ])('refuses %j', (changes, expected) => {
    expect(problemsOf({ ...minimal, ...changes })).toContain(expected);
  });
});

describe('parseFunctionConfig: one function reads only its own groups', () => {
  it('parses the authorizer from the identity variables alone', () => {
    const config = parseFunctionConfig('authorizer', {
      AUTH_PROVIDER: 'cognito',
      AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
    });
    expect(Object.keys(config).sort()).toEqual(['aws', 'identity', 'observability']);
  });

  it('does not check the variables of groups it does not use', () => {
    // A heartbeat function with a broken identity group still starts: it never verifies tokens.
    const config = parseFunctionConfig('heartbeat', {
      ...minimal,
      AUTH_PROVIDER: 'nonsense',
      DB_CONNECTION: 'nonsense',
    });
    expect(Object.keys(config).sort()).toEqual([
      'activity',
      'aws',
      'gateway',
      'observability',
      'presence',
      'redis',
    ]);
    // No ACTIVITY_TABLE_NAME: no history.
    expect(config.activity).toBeUndefined();
  });

  it('names the variables of each function, and no other', () => {
    expect(variablesOfFunction('authorizer').sort()).toEqual(
      [
        'AUTH_PROVIDER',
        'AUTH_COGNITO_USER_POOL_ID',
        'AUTH_COGNITO_CLIENT_ID',
        'AUTH_USER_ID_CLAIM',
        'AUTH_ISSUER',
        'AUTH_JWKS_URL',
        'AUTH_AUDIENCE',
        'LOG_LEVEL',
        'LOG_SAMPLE_RATE',
        'METRICS',
        'METRICS_NAMESPACE',
        'PRESENCE_SERVICE_NAME',
        'TRACING',
      ].sort(),
    );
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(variablesOfFunction(name), name).not.toContain('AWS_REGION');
    }
    expect(variablesOfFunction('default')).not.toContain('REDIS_URL');
    expect(variablesOfFunction('authorizer')).not.toContain('WEBSOCKET_CALLBACK_URL');
    // The friend cache goes to the functions whose graph reads it serves, and to graph-changed.
    const withCache = PRESENCE_FUNCTION_NAMES.filter((name) =>
      variablesOfFunction(name).includes('PRESENCE_FRIEND_CACHE_SECONDS'),
    );
    expect(withCache.sort()).toEqual(
      ['disconnect', 'get-user-presence', 'graph-changed', 'timeout', 'update-presence'].sort(),
    );
  });

  it('types each function environment: a misspelt or foreign variable does not compile', () => {
    expectTypeOf<{ AUTH_PROVIDER: 'oidc'; AUTH_ISSUER: string; AUTH_JWKS_URL: string }>().toExtend<
      FunctionEnv<'authorizer'>
    >();
    expectTypeOf<{ AUTH_PROVIDER: 'cognito'; AUTH_ISSUER: string }>().not.toExtend<
      FunctionEnv<'authorizer'>
    >();
    // @ts-expect-error REDIS_ULR is not a variable
    const misspelt: PresenceEnv = { ...minimal, REDIS_ULR: 'redis://x' };
    expect(misspelt).toBeDefined();
  });
});

describe('the activity group (issue 14)', () => {
  it('is off without ACTIVITY_TABLE_NAME, and reads the table and the retention with it', () => {
    expect(parseFunctionConfig('get-activity', { ...minimal }).activity).toBeUndefined();
    expect(
      parseFunctionConfig('connect', { ...minimal, ACTIVITY_TABLE_NAME: 'presence-activity' })
        .activity,
    ).toEqual({ tableName: 'presence-activity', retentionDays: 30 });
    expect(
      parseFunctionConfig('delete-activity', {
        ...minimal,
        ACTIVITY_TABLE_NAME: 'arn:aws:dynamodb:eu-west-1:123456789012:table/presence-activity',
        ACTIVITY_RETENTION_DAYS: '7',
      }).activity,
    ).toEqual({
      tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/presence-activity',
      retentionDays: 7,
    });
  });

  it.each([
    [{ ACTIVITY_TABLE_NAME: 'ab' }, 'ACTIVITY_TABLE_NAME'],
    [{ ACTIVITY_TABLE_NAME: 'presence activity' }, 'ACTIVITY_TABLE_NAME'],
    [
      { ACTIVITY_TABLE_NAME: 'presence-activity', ACTIVITY_RETENTION_DAYS: '0' },
      'ACTIVITY_RETENTION_DAYS',
    ],
    [
      { ACTIVITY_TABLE_NAME: 'presence-activity', ACTIVITY_RETENTION_DAYS: '1.5' },
      'ACTIVITY_RETENTION_DAYS',
    ],
  ])('refuses %j naming %s', (changes, variable) => {
    expect(() => parseFunctionConfig('get-activity', { ...minimal, ...changes })).toThrow(
      new RegExp(`${variable} must`),
    );
  });

  it('is read by the functions that record or serve history, and by no other', () => {
    for (const name of [
      'connect',
      'heartbeat',
      'update-presence',
      'disconnect',
      'timeout',
      'get-activity',
      'delete-activity',
    ] as const)
      expect(variablesOfFunction(name), name).toContain('ACTIVITY_TABLE_NAME');
    for (const name of ['authorizer', 'default', 'get-presence', 'get-user-presence'] as const)
      expect(variablesOfFunction(name), name).not.toContain('ACTIVITY_TABLE_NAME');
  });
});
