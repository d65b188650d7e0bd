import { lambdaHandlers } from '../lambda-handlers.js';

/** `GET /presence` (REST API, Lambda proxy). Bundled to dist/functions/get-presence/index.mjs. */
export const handler = lambdaHandlers.getPresence;
