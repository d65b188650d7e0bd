import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `$disconnect` route. Bundled to dist/functions/disconnect/index.mjs. */
export const handler = lambdaHandlers.disconnect;
