import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `heartbeat` route. Bundled to dist/functions/heartbeat/index.mjs. */
export const handler = lambdaHandlers.heartbeat;
