import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `$default` route. Bundled to dist/functions/default/index.mjs. */
export const handler = lambdaHandlers.default;
