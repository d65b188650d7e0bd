import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { defineFunction } from '../compose/function.js';
import { jwtVerifier } from '../compose/runtime.js';
import { createGetActivityHandler } from '../edge/rest.js';

/** `GET /activity` (REST API v1 or HTTP API v2): the table only. Bundled to dist/functions/get-activity/index.mjs. */
export const handler = createGetActivityHandler(
  defineFunction('get-activity', {
    service: createPresenceService,
    verifier: jwtVerifier,
    activityLog: dynamoActivityLog,
  }),
);
