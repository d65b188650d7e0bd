import { createPresenceService } from '@presence/core';
import { defineFunction } from '../compose/function.js';
import { redisStore } from '../compose/store.js';
import { createConnectHandler } from '../edge/websocket.js';

/** The WebSocket `$connect` route: the store only. Bundled to dist/functions/connect/index.mjs. */
export const handler = createConnectHandler(
  defineFunction('connect', {
    service: createPresenceService,
    store: redisStore,
  }),
);
