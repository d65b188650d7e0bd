import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { redisFriendCache } from '../compose/friend-cache.js';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createGraphChangedHandler } from '../edge/graph-changed.js';

/** The user service's friend-graph changes (EventBridge). Bundled to dist/functions/graph-changed/index.mjs. */
export const handler = createGraphChangedHandler(
  defineFunction('graph-changed', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    notifier: gatewayNotifier,
    friendCache: redisFriendCache,
    activityLog: dynamoActivityLog,
  }),
);
