import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `update-presence` route. Bundled to dist/functions/update-presence/index.mjs. */
export const handler = lambdaHandlers.updatePresence;
