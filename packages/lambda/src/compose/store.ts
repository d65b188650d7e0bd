import {
  type Logger,
  PresenceError,
  type PresenceStore,
  StoreUnavailableError,
} from '@presence/core';
import { RedisPresenceStore, type RedisPresenceStoreOptions } from '@presence/redis';
import { redisAuthTokenOf, type SecretSource } from '../aws/index.js';
import type { PresenceConfig, RedisConfig } from '../config/index.js';
import { storeVia } from './ports.js';
import { type RotationPolicy, readSecret, rebuildable, withRotation } from './rebuildable.js';
import type { BuildDependencies } from './runtime.js';
import { secretsOf } from './secrets.js';

/** Longest a store call may take before it counts as an outage (covers a cluster that cannot connect). */
const STORE_CALL_TIMEOUT_MS = 3000;

const DAY_MS = 86_400_000;

/** The store options for a config and an AUTH token. Exported for tests. */
export function redisStoreOptions(
  redis: RedisConfig,
  presence: Pick<PresenceConfig['presence'], 'timeoutSeconds' | 'lastSeenDays'>,
  authToken: string | undefined,
): RedisPresenceStoreOptions {
  const url = new URL(redis.url);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password =
    authToken ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  const credentials = {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  const common = {
    keyPrefix: redis.keyPrefix,
    // The TTL safety net outlives three timeouts, so a live user never expires between heartbeats.
    ttlMs: 3 * presence.timeoutSeconds * 1000,
    lastSeenRetentionMs: presence.lastSeenDays * DAY_MS,
  };
  // Fail fast when Redis is down (a Lambda must answer 503, not wait out its timeout) and keep
  // reconnecting for later invocations of the same container.
  const connection = {
    connectTimeout: 2000,
    // Above STORE_WRITE_DEADLINE_MS plus the service's skew allowance: see there.
    commandTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    ...(redis.tls ? { tls: {} } : {}),
  };
  if (!redis.cluster) {
    return { ...common, url: redis.url, redisOptions: { ...connection, ...credentials } };
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    ...common,
    clusterNodes: [{ host: url.hostname, port }],
    clusterOptions: {
      // ElastiCache with TLS: keep the hostnames the cluster reports so the certificate matches.
      dnsLookup: (address, callback) => callback(null, address),
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      redisOptions: { ...connection, ...credentials },
    },
  };
}

/** Redis refused the credentials: `WRONGPASS` (wrong password) or `NOAUTH` (none sent, one required). */
export function isRedisAuthFailure(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /^(WRONGPASS|NOAUTH)\b/.test(message);
}

/**
 * The Redis presence store of a function: built on first use (after its AUTH token is read), each
 * call bounded by a deadline, and rebuilt once with the token read afresh when Redis refuses it
 * (the secret was rotated under a live container).
 */
export function redisStore(
  config: Pick<PresenceConfig, 'redis' | 'presence'>,
  deps: BuildDependencies,
): PresenceStore {
  const { redis, presence } = config;
  const holder = rebuildable(async (fresh) =>
    watchedRedis(
      new RedisPresenceStore(
        redisStoreOptions(redis, presence, await redisToken(redis, deps, fresh)),
      ),
      deps.logger,
      { op: 'redis', what: 'redis' },
    ),
  );
  const policy = redisRotationPolicy(redis, deps);
  // The durable ports' synchronous facts come from the options alone: a store that is not built
  // (no client, nothing connects) answers them as the built one will.
  const shape = new RedisPresenceStore(redisStoreOptions(redis, presence, undefined));
  return storeVia(
    (method, run) => withRotation(holder, (store) => deadline(method, run(store)), policy),
    {
      close: async () => {
        await holder.built()?.close();
      },
      outbox: true,
      markers: { partitions: shape.partitions, partitionOf: (id) => shape.partitionOf(id) },
      lastSeen: { lastSeenRetentionMs: shape.lastSeenRetentionMs },
    },
  );
}

/** Bounds one call by {@link STORE_CALL_TIMEOUT_MS}. */
export async function deadline<R>(method: string, call: Promise<R>): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`Redis ${method} timed out`)),
      STORE_CALL_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The AUTH token of `redis` from its secret (read afresh after a refusal), `undefined` without one. */
export async function redisToken(
  redis: RedisConfig,
  deps: BuildDependencies,
  fresh: boolean,
): Promise<string | undefined> {
  const arn = redis.authSecretArn;
  return arn === undefined
    ? undefined
    : redisAuthTokenOf(await readSecret(secretsOf(deps.secrets), arn, fresh), arn);
}

/** How a client of `redis` rotates its AUTH token (the store's and the friend cache's). */
export function redisRotationPolicy(redis: RedisConfig, deps: BuildDependencies): RotationPolicy {
  return {
    backend: 'redis',
    fromSecret: redis.authSecretArn !== undefined,
    isAuthFailure: isRedisAuthFailure,
    unavailable: (cause) =>
      new StoreUnavailableError('Redis credentials could not be read', { cause }),
    logger: deps.logger,
  };
}

/**
 * ioredis prints every reconnect failure to stderr unless someone listens: log the first one of
 * each outage at warn (code only, `op`), the rest at debug; the message names `what`.
 */
export function watchedRedis<T extends { readonly client: RedisClientEvents }>(
  owner: T,
  logger: Logger,
  { op, what }: { readonly op: string; readonly what: string },
): T {
  let healthy = true;
  owner.client.on('ready', () => {
    healthy = true;
  });
  owner.client.on('error', (error: Error & { code?: unknown }) => {
    const fields = { op, code: error.code ?? error.name };
    if (healthy) logger.warn(fields, `${what} connection error`);
    else logger.debug(fields, `${what} connection error`);
    healthy = false;
  });
  return owner;
}

/** The events of an ioredis client (single node or cluster) that {@link watchedRedis} listens to. */
interface RedisClientEvents {
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error & { code?: unknown }) => void): unknown;
}
