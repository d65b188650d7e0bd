import { createPresenceService } from '@presence/core';
import { dynamoActivityLog } from '../compose/activity.js';
import { defineFunction } from '../compose/function.js';
import { jwtVerifier } from '../compose/runtime.js';
import { createDeleteActivityHandler } from '../edge/rest.js';

/** `DELETE /activity` (REST API v1 or HTTP API v2): the table only. Bundled to dist/functions/delete-activity/index.mjs. */
export const handler = createDeleteActivityHandler(
  defineFunction('delete-activity', {
    service: createPresenceService,
    verifier: jwtVerifier,
    activityLog: dynamoActivityLog,
  }),
);
