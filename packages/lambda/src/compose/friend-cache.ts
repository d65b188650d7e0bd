import type { FriendCache } from '@presence/core';
import { RedisFriendCache, type RedisFriendCacheOptions } from '@presence/redis';
import type { PresenceConfig, RedisConfig } from '../config/index.js';
import { rebuildable, withRotation } from './rebuildable.js';
import type { BuildDependencies } from './runtime.js';
import {
  deadline,
  redisRotationPolicy,
  redisStoreOptions,
  redisToken,
  watchedRedis,
} from './store.js';

/**
 * The friend cache's client options: the store's connection settings (URL or cluster seed, TLS,
 * credentials, timeouts, retry strategies) and key prefix. Exported for tests.
 */
export function redisFriendCacheOptions(
  redis: RedisConfig,
  authToken: string | undefined,
): RedisFriendCacheOptions {
  // Only the connection fields of the store's options: the TTLs there are the store's own.
  const { url, redisOptions, clusterNodes, clusterOptions } = redisStoreOptions(
    redis,
    { timeoutSeconds: 180, lastSeenDays: 0 },
    authToken,
  );
  return {
    keyPrefix: redis.keyPrefix,
    ...(url === undefined ? {} : { url }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
    ...(clusterNodes === undefined ? {} : { clusterNodes }),
    ...(clusterOptions === undefined ? {} : { clusterOptions }),
  };
}

/**
 * The Redis friend cache of a function, on the store's Redis (same URL, cluster mode, TLS, AUTH
 * token and key prefix; its own client, created and connected on first use). Each call is bounded
 * like a store call; when Redis refuses the AUTH token the client is rebuilt once with the secret
 * read afresh. An unreachable cache fails with `StoreUnavailableError`, which the caching graph
 * answers by reading PostgreSQL.
 */
export function redisFriendCache(
  config: Pick<PresenceConfig, 'redis' | 'friendCache'>,
  deps: BuildDependencies,
): FriendCache {
  const { redis } = config;
  const holder = rebuildable(async (fresh) =>
    watchedRedis(
      new RedisFriendCache(redisFriendCacheOptions(redis, await redisToken(redis, deps, fresh))),
      deps.logger,
      { op: 'redis-friend-cache', what: 'redis friend cache' },
    ),
  );
  const policy = redisRotationPolicy(redis, deps);
  const call = <R>(method: string, run: (cache: RedisFriendCache) => Promise<R>) =>
    withRotation(holder, (cache) => deadline(`friend cache ${method}`, run(cache)), policy);
  return {
    getMany: (ids) => call('getMany', (c) => c.getMany(ids)),
    set: (id, entry, version, ttlMs) => call('set', (c) => c.set(id, entry, version, ttlMs)),
    invalidate: (ids) => call('invalidate', (c) => c.invalidate(ids)),
    close: async () => {
      await holder.built()?.close();
    },
  };
}
