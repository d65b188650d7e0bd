import { lambdaHandlers } from '../lambda-handlers.js';

/** The WebSocket `$connect` REQUEST authorizer. Bundled to dist/functions/authorizer/index.mjs. */
export const handler = lambdaHandlers.authorizer;
