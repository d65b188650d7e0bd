import { ConfigError } from '@presence/core';
import { describe, expect, it } from 'vitest';
import { pgSsl, redisFriendCacheOptions, redisStoreOptions } from '../src/compose/index.js';
import { databaseSecretOf, parseFunctionConfig, redisAuthTokenOf } from '../src/index.js';

const redisOf = (env: Record<string, string>) =>
  parseFunctionConfig('connect', { WEBSOCKET_CALLBACK_URL: 'https://gw.example.com/prod', ...env })
    .redis;
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/redis-AbCdEf';

describe('redisStoreOptions', () => {
  it('builds a single-node client from the URL with fast failure and its credentials', () => {
    // Act
    const options = redisStoreOptions(
      redisOf({ REDIS_URL: 'redis://default:s3cret@cache.internal:6380' }),
      { timeoutSeconds: 180, lastSeenDays: 30 },
      undefined,
    );
    // Assess
    expect(options).toMatchObject({
      url: 'redis://default:s3cret@cache.internal:6380',
      keyPrefix: 'presence',
      ttlMs: 540_000,
      lastSeenRetentionMs: 30 * 86_400_000,
      redisOptions: {
        username: 'default',
        password: 's3cret',
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 2000,
      },
    });
    expect(options.redisOptions).not.toHaveProperty('tls');
    expect(options.clusterNodes).toBeUndefined();
  });

  it('lets the AUTH token from the secret win over a password in the URL, with TLS for rediss://', () => {
    const options = redisStoreOptions(
      redisOf({ REDIS_URL: 'rediss://:old@master.cache.amazonaws.com:6379' }),
      { timeoutSeconds: 240, lastSeenDays: 0 },
      'from-secret',
    );
    expect(options.redisOptions).toMatchObject({ password: 'from-secret', tls: {} });
    expect(options.ttlMs).toBe(720_000);
    expect(options.lastSeenRetentionMs).toBe(0);
  });

  it('seeds a cluster from the URL host, keeping hostnames for TLS (ElastiCache)', () => {
    // Act
    const options = redisStoreOptions(
      redisOf({
        REDIS_URL: 'rediss://clustercfg.presence.abc123.use1.cache.amazonaws.com:6379',
        REDIS_CLUSTER: 'true',
      }),
      { timeoutSeconds: 180, lastSeenDays: 30 },
      'token',
    );
    // Assess
    expect(options.url).toBeUndefined();
    expect(options.clusterNodes).toEqual([
      { host: 'clustercfg.presence.abc123.use1.cache.amazonaws.com', port: 6379 },
    ]);
    expect(options.clusterOptions?.redisOptions).toMatchObject({ tls: {}, password: 'token' });
    const looked: unknown[] = [];
    options.clusterOptions?.dnsLookup?.('node-1.cache.amazonaws.com', (error, address) =>
      looked.push(error, address),
    );
    expect(looked).toEqual([null, 'node-1.cache.amazonaws.com']);
  });
});

describe('redisFriendCacheOptions: the store Redis, settings and all', () => {
  it('takes the URL, credentials, timeouts and key prefix of the store, and nothing of its TTLs', () => {
    const options = redisFriendCacheOptions(
      redisOf({ REDIS_URL: 'redis://default:s3cret@cache.internal:6380', REDIS_KEY_PREFIX: 'p1' }),
      undefined,
    );
    expect(options).toMatchObject({
      url: 'redis://default:s3cret@cache.internal:6380',
      keyPrefix: 'p1',
      redisOptions: { username: 'default', password: 's3cret', commandTimeout: 2000 },
    });
    expect(options).not.toHaveProperty('ttlMs');
    expect(options).not.toHaveProperty('clusterNodes');
  });

  it('uses the AUTH token from the secret, TLS, and the cluster seed like the store', () => {
    const redis = redisOf({
      REDIS_URL: 'rediss://clustercfg.presence.abc123.use1.cache.amazonaws.com:6379',
      REDIS_CLUSTER: 'true',
    });
    const cache = redisFriendCacheOptions(redis, 'token');
    const store = redisStoreOptions(redis, { timeoutSeconds: 180, lastSeenDays: 30 }, 'token');
    expect(cache.url).toBeUndefined();
    expect(cache.clusterNodes).toEqual(store.clusterNodes);
    expect(cache.clusterOptions?.redisOptions).toMatchObject({ tls: {}, password: 'token' });
    expect(cache.clusterOptions?.dnsLookup).toBeTypeOf('function');
  });
});

describe('pgSsl', () => {
  it.each([
    [undefined, undefined],
    ['disable', false],
    ['require', { rejectUnauthorized: false }],
  ] as const)('%s → %j', (mode, expected) => {
    expect(pgSsl(mode)).toEqual(expected);
  });

  it('verify-full checks the certificate and the host name', () => {
    expect(pgSsl('verify-full')).toMatchObject({ rejectUnauthorized: true });
  });
});

describe('secrets', () => {
  it.each([
    ['a plain token', 'tok3n', 'tok3n'],
    ['JSON with password', '{"password":"p"}', 'p'],
    ['JSON with authToken', '{"authToken":"a","username":"default"}', 'a'],
  ])('reads the Redis AUTH token from %s', (_, secret, token) => {
    expect(redisAuthTokenOf(secret, ARN)).toBe(token);
  });

  it('refuses a JSON Redis secret without a token, without quoting the secret', () => {
    expect(() => redisAuthTokenOf('{"user":"hunter2"}', ARN)).toThrow(ConfigError);
    expect(() => redisAuthTokenOf('{"user":"hunter2"}', ARN)).not.toThrow(/hunter2/);
  });

  it('reads an RDS-style database secret', () => {
    const secret = JSON.stringify({
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      username: 'reader',
      password: 'pw',
      dbname: 'users',
    });
    expect(databaseSecretOf(secret, ARN)).toEqual({
      username: 'reader',
      password: 'pw',
      host: 'db.internal',
      port: 5432,
      dbname: 'users',
    });
  });

  it.each(['not json', '[]', '{"username":"reader"}'])(
    'refuses the database secret %j',
    (secret) => {
      expect(() => databaseSecretOf(secret, ARN)).toThrow(ConfigError);
    },
  );
});
