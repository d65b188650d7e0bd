import { createPresenceService } from '@presence/core';
import type { PresenceConfig } from '../config/index.js';
import { dynamoActivityLog } from './activity.js';
import { redisFriendCache } from './friend-cache.js';
import { postgresGraph } from './graph.js';
import {
  type ComposedRuntime,
  composeRuntime,
  gatewayNotifier,
  jwtVerifier,
  type RuntimeConfig,
  type RuntimeOverrides,
} from './runtime.js';
import { redisStore } from './store.js';

/**
 * Builds a runtime with every port (Redis store, PostgreSQL graph, `@connections` notifier,
 * token verifier, and the Redis friend cache when `PRESENCE_FRIEND_CACHE_SECONDS` > 0) from the configuration: for a process hosting all twelve handlers
 * (`@presence/local`, the bench, your own server). Nothing connects here; `overrides` replace any
 * port (tests, in-memory adapters).
 * @example const runtime = createRuntime(parseConfig(process.env));
 */
export function createRuntime(
  config: PresenceConfig | RuntimeConfig,
  overrides: RuntimeOverrides = {},
): ComposedRuntime {
  return composeRuntime(
    config,
    {
      store: redisStore,
      graph: postgresGraph,
      notifier: gatewayNotifier,
      verifier: jwtVerifier,
      service: createPresenceService,
      friendCache: redisFriendCache,
      activityLog: dynamoActivityLog,
    },
    overrides,
  );
}
