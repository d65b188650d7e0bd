import { createPresenceService } from '@presence/core';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { jwtVerifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createGetPresenceHandler } from '../edge/rest.js';

/** `GET /presence` (REST API v1 or HTTP API v2). Bundled to dist/functions/get-presence/index.mjs. */
export const handler = createGetPresenceHandler(
  defineFunction('get-presence', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    verifier: jwtVerifier,
  }),
);
