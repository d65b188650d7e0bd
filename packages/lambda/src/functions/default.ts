import { createPresenceService } from '@presence/core';
import { defineFunction } from '../compose/function.js';
import { gatewayNotifier } from '../compose/runtime.js';
import { createFrameHandler } from '../edge/websocket.js';

/** The WebSocket `$default` route: the notifier only (error frames). Bundled to dist/functions/default/index.mjs. */
export const handler = createFrameHandler(
  defineFunction('default', {
    service: createPresenceService,
    notifier: gatewayNotifier,
  }),
  'default',
);
