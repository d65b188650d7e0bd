import { ConfigError } from '@presence/core';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/index.js';

const minimal = {
  REDIS_URL: 'rediss://master.presence-cache.abc123.use1.cache.amazonaws.com:6379',
  DB_HOST: 'presence-proxy.proxy-abc123.us-east-1.rds.amazonaws.com',
  DB_NAME: 'users',
  DB_USER: 'presence_reader',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/db-AbCdEf',
  AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
  WEBSOCKET_CALLBACK_URL: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
  AWS_REGION: 'us-east-1',
};

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
    const config = parseConfig(minimal);
    // Assess
    expect(config).toEqual({
      timeoutSeconds: 180,
      sweepBatchSize: 500,
      sweepAnnounceAfter: 100_000,
      logLevel: 'info',
      redis: {
        url: minimal.REDIS_URL,
        tls: true,
        cluster: false,
        authSecretArn: undefined,
        keyPrefix: 'presence',
      },
      database: {
        connectionString: undefined,
        host: minimal.DB_HOST,
        port: 5432,
        database: 'users',
        user: 'presence_reader',
        secretArn: minimal.DB_SECRET_ARN,
        ssl: 'verify-full',
        iamAuth: false,
        schema: undefined,
        preparedStatements: false,
      },
      auth: {
        kind: 'cognito',
        userPoolId: 'us-east-1_AbCdEf123',
        clientIds: [],
        userIdClaim: 'cognito:username',
      },
      websocketCallbackUrl: minimal.WEBSOCKET_CALLBACK_URL,
      gatewayTransport: 'sdk',
      corsAllowedOrigins: [],
      awsRegion: 'us-east-1',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable the CDK construct sets', () => {
    const config = parseConfig({
      ...minimal,
      PRESENCE_TIMEOUT_SECONDS: '240',
      PRESENCE_SWEEP_BATCH_SIZE: '250',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '20000',
      LOG_LEVEL: 'debug',
      REDIS_CLUSTER: 'true',
      REDIS_AUTH_SECRET_ARN:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/redis-XyZ',
      REDIS_KEY_PREFIX: 'presence-prod',
      DB_PORT: '6543',
      DB_SSL: 'require',
      DB_IAM_AUTH: 'true',
      DB_SCHEMA: 'users_v2',
      DB_PREPARED_STATEMENTS: 'true',
      AUTH_COGNITO_CLIENT_ID: 'client-a, client-b',
      CORS_ALLOWED_ORIGINS:
        'https://chat.example.com, chrome-extension://abcdefghijklmnopabcdefghijklmnop,http://localhost:4200',
      WEBSOCKET_CALLBACK_URL: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/',
      GATEWAY_TRANSPORT: 'signed-http',
    });
    expect(config).toMatchObject({
      timeoutSeconds: 240,
      sweepBatchSize: 250,
      sweepAnnounceAfter: 20_000,
      logLevel: 'debug',
      redis: {
        cluster: true,
        tls: true,
        keyPrefix: 'presence-prod',
        authSecretArn: expect.stringContaining('redis'),
      },
      database: {
        port: 6543,
        ssl: 'require',
        iamAuth: true,
        schema: 'users_v2',
        preparedStatements: true,
      },
      auth: { kind: 'cognito', clientIds: ['client-a', 'client-b'] },
      corsAllowedOrigins: [
        'https://chat.example.com',
        'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
        'http://localhost:4200',
      ],
      websocketCallbackUrl: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
      gatewayTransport: 'signed-http',
    });
  });

  it('takes a generic issuer with sub as the default user id claim, and a dev DATABASE_URL without TLS default', () => {
    const config = parseConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      AUTH_ISSUER: 'https://login.example.com/',
      AUTH_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
      AUTH_AUDIENCE: 'presence',
    });
    expect(config.auth).toEqual({
      kind: 'jwt',
      issuer: 'https://login.example.com/',
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
      audiences: ['presence'],
      userIdClaim: 'sub',
    });
    expect(config.database).toMatchObject({
      connectionString: 'postgres://postgres@127.0.0.1:5432/test',
      ssl: undefined,
      host: undefined,
    });
    expect(config.redis.tls).toBe(false);
    expect(config.websocketCallbackUrl).toBeUndefined();
  });

  it('treats empty strings as unset (CloudFormation writes "" for absent optionals)', () => {
    const config = parseConfig({
      ...minimal,
      LOG_LEVEL: '',
      REDIS_KEY_PREFIX: ' ',
      DB_SSL: '',
      GATEWAY_TRANSPORT: '',
    });
    expect(config.logLevel).toBe('info');
    expect(config.gatewayTransport).toBe('sdk');
    expect(config.redis.keyPrefix).toBe('presence');
    expect(config.database.ssl).toBe('verify-full');
  });

  it('names every problem of an empty environment in one ConfigError', () => {
    const message = problemsOf({});
    expect(message).toMatch(/^Invalid presence configuration: /);
    for (const name of ['REDIS_URL', 'DB_HOST', 'AUTH_COGNITO_USER_POOL_ID'])
      expect(message).toContain(name);
  });

  it('names field and cross-variable problems together', () => {
    // Prepare
    const env = {
      PRESENCE_TIMEOUT_SECONDS: 'three minutes',
      PRESENCE_SWEEP_BATCH_SIZE: '0',
      PRESENCE_SWEEP_ANNOUNCE_AFTER: '-5',
      LOG_LEVEL: 'verbose',
      REDIS_URL: 'http://cache:6379',
      REDIS_CLUSTER: 'yes',
      REDIS_KEY_PREFIX: 'has {braces}',
      REDIS_AUTH_SECRET_ARN: 'my-secret',
      DB_HOST: 'db.internal',
      DB_PORT: '70000',
      DB_SSL: 'prefer',
      DB_IAM_AUTH: 'maybe',
      DB_PREPARED_STATEMENTS: 'sometimes',
      DB_SCHEMA: 'drop table;',
      AUTH_ISSUER: 'not a url',
      AUTH_JWKS_URL: 'http://keys.example.com/jwks.json',
      AUTH_COGNITO_CLIENT_ID: 'client',
      WEBSOCKET_CALLBACK_URL: 'ftp://gateway',
      GATEWAY_TRANSPORT: 'fast',
      CORS_ALLOWED_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
    };
    // Act
    const message = problemsOf(env);
    // Assess: one message, every variable named
    for (const name of [
      'PRESENCE_TIMEOUT_SECONDS',
      'PRESENCE_SWEEP_BATCH_SIZE',
      'PRESENCE_SWEEP_ANNOUNCE_AFTER',
      'LOG_LEVEL',
      'REDIS_URL',
      'REDIS_CLUSTER',
      'REDIS_KEY_PREFIX',
      'REDIS_AUTH_SECRET_ARN',
      'DB_PORT',
      'DB_SSL',
      'DB_IAM_AUTH',
      'DB_PREPARED_STATEMENTS',
      'DB_SCHEMA',
      'DB_NAME',
      'DB_USER',
      'AUTH_ISSUER',
      'AUTH_JWKS_URL',
      'AUTH_COGNITO_CLIENT_ID',
      'WEBSOCKET_CALLBACK_URL',
      'GATEWAY_TRANSPORT must be sdk or signed-http',
      'CORS_ALLOWED_ORIGINS',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toContain('https://bad.example.com/path');
  });

  it.each([
    [
      { AUTH_ISSUER: 'https://login.example.com', AUTH_JWKS_URL: 'https://login.example.com/jwks' },
      'exclusive',
    ],
    [{ AUTH_COGNITO_USER_POOL_ID: 'AbCdEf123' }, 'us-east-1_AbCdEf123'],
    [{ DB_IAM_AUTH: 'true', DB_USER: undefined }, 'DB_USER is required with DB_IAM_AUTH'],
    [{ DB_IAM_AUTH: 'true', AWS_REGION: undefined }, 'DB_IAM_AUTH needs AWS_REGION'],
    [{ DB_SECRET_ARN: undefined, DB_USER: undefined }, 'DB_USER is required'],
    [{ DATABASE_URL: 'mysql://db/users' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ REDIS_URL: undefined }, 'REDIS_URL is required'],
    [
      { WEBSOCKET_CALLBACK_URL: 'http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod' },
      'WEBSOCKET_CALLBACK_URL',
    ],
  ])('refuses %j', (changes, expected) => {
    const env: Record<string, string | undefined> = { ...minimal, ...changes };
    expect(problemsOf(env)).toContain(expected);
  });

  it('allows http:// only on loopback hosts (local runs and tests)', () => {
    const config = parseConfig({
      ...minimal,
      AUTH_COGNITO_USER_POOL_ID: undefined,
      AUTH_ISSUER: 'http://127.0.0.1:9000',
      AUTH_JWKS_URL: 'http://localhost:9000/.well-known/jwks.json',
      WEBSOCKET_CALLBACK_URL: 'http://127.0.0.1:3001/local',
    });
    expect(config.auth.kind).toBe('jwt');
    expect(config.websocketCallbackUrl).toBe('http://127.0.0.1:3001/local');
  });
});
