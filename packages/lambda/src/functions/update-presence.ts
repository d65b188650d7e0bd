import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { redisFriendCache } from '../compose/friend-cache.js';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createFrameHandler } from '../edge/websocket.js';

/** The WebSocket `update-presence` route. Bundled to dist/functions/update-presence/index.mjs. */
export const handler = createFrameHandler(
  defineFunction('update-presence', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    friendCache: redisFriendCache,
    notifier: gatewayNotifier,
    activityLog: dynamoActivityLog,
  }),
  'update-presence',
);
