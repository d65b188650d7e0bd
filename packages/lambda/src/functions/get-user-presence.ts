import { createPresenceService } from '@presence/core';
import { redisFriendCache } from '../compose/friend-cache.js';
import { defineFunction } from '../compose/function.js';
import { postgresGraph } from '../compose/graph.js';
import { jwtVerifier } from '../compose/runtime.js';
import { redisStore } from '../compose/store.js';
import { createGetUserPresenceHandler } from '../edge/rest.js';

/** `GET /presence/{userId}` (REST API v1 or HTTP API v2). Bundled to dist/functions/get-user-presence/index.mjs. */
export const handler = createGetUserPresenceHandler(
  defineFunction('get-user-presence', {
    service: createPresenceService,
    store: redisStore,
    graph: postgresGraph,
    friendCache: redisFriendCache,
    verifier: jwtVerifier,
  }),
);
