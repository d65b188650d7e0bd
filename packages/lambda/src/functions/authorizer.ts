import { defineFunction } from '../compose/function.js';
import { jwtVerifier } from '../compose/runtime.js';
import { createAuthorizerHandler } from '../edge/authorizer.js';

/** The WebSocket `$connect` REQUEST authorizer: the verifier only. Bundled to dist/functions/authorizer/index.mjs. */
export const handler = createAuthorizerHandler(
  defineFunction('authorizer', { verifier: jwtVerifier }),
);
