import { lambdaHandlers } from '../lambda-handlers.js';

/** The scheduled timeout sweep (EventBridge). Bundled to dist/functions/timeout/index.mjs. */
export const handler = lambdaHandlers.timeout;
