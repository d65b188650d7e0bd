import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `$connect` route. Bundled to dist/functions/connect/index.mjs. */
export const handler = lambdaHandlers.connect;
