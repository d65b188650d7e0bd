export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_SWEEP_BUCKETS,
  fnv1a32,
  RedisKeyLayout,
} from './key-layout.js';
export { MARKER_TTL_MS } from './redis-durable.js';
export { RedisFriendCache, type RedisFriendCacheOptions } from './redis-friend-cache.js';
export type { RedisPresenceStoreOptions } from './redis-presence-store.js';
export { DEFAULT_REDIS_TTL_MS, RedisPresenceStore } from './redis-presence-store.js';
