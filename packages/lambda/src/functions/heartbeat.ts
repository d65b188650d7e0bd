import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { defineFunction } from '../compose/function.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createFrameHandler } from '../edge/websocket.js';

/** The WebSocket `heartbeat` route: the store, and the notifier for error frames. Bundled to dist/functions/heartbeat/index.mjs. */
export const handler = createFrameHandler(
  defineFunction('heartbeat', {
    service: createPresenceService,
    store: redisStore,
    notifier: gatewayNotifier,
    activityLog: dynamoActivityLog,
  }),
  'heartbeat',
);
