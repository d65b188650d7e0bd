import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { redisFriendCache } from '../compose/friend-cache.js';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createTimeoutHandler } from '../edge/timeout.js';

/** The scheduled timeout sweep (EventBridge). Bundled to dist/functions/timeout/index.mjs. */
export const handler = createTimeoutHandler(
  defineFunction('timeout', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    friendCache: redisFriendCache,
    notifier: gatewayNotifier,
    activityLog: dynamoActivityLog,
  }),
);
