import { lambdaHandlers } from '../lambda-handlers.js';

/** `GET /presence/{userId}` (REST API, Lambda proxy). Bundled to dist/functions/get-user-presence/index.mjs. */
export const handler = lambdaHandlers.getUserPresence;
