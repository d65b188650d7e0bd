import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { redisFriendCache } from '../compose/friend-cache.js';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createDisconnectHandler } from '../edge/websocket.js';

/** The WebSocket `$disconnect` route. Bundled to dist/functions/disconnect/index.mjs. */
export const handler = createDisconnectHandler(
  defineFunction('disconnect', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    friendCache: redisFriendCache,
    notifier: gatewayNotifier,
    activityLog: dynamoActivityLog,
  }),
);
