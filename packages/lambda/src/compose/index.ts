/**
 * The composition root: builds the ports one function uses from its configuration (Redis store,
 * PostgreSQL graph, `@connections` notifier, token verifier), with credential rotation, deadlines
 * and instrumentation (metrics, traces), and hands the edge its `PresenceRuntime`.
 *
 * May import: everything but cdk.
 * @module
 */

export { dynamoActivityLog } from './activity.js';
export { redisFriendCache, redisFriendCacheOptions } from './friend-cache.js';
export { createRuntime } from './full.js';
export { type BuildersFor, defineFunction } from './function.js';
export { isPostgresAuthFailure, pgSsl, postgresGraph } from './graph.js';
export { currentRecorder, InvocationRecorder } from './metrics.js';
export {
  type BuildDependencies,
  type ComposedRuntime,
  composeRuntime,
  gatewayNotifier,
  jwtVerifier,
  type PortBuilders,
  type RuntimeConfig,
  type RuntimeOverrides,
} from './runtime.js';
export { isRedisAuthFailure, redisStore, redisStoreOptions } from './store.js';
