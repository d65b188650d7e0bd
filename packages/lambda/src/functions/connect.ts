import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { defineFunction } from '../compose/function.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createConnectHandler } from '../edge/websocket.js';

/**
 * The WebSocket `$connect` route: the store, and the notifier to close the sockets a connection
 * over the user's cap evicts (it never posts). Bundled to dist/functions/connect/index.mjs.
 */
export const handler = createConnectHandler(
  defineFunction('connect', {
    service: createPresenceService,
    store: redisStore,
    notifier: gatewayNotifier,
    activityLog: dynamoActivityLog,
  }),
);
