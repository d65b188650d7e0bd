/**
 * `@presence/lambda/cdk`: the `PresenceApi` construct that deploys the presence API on AWS
 * (API Gateway WebSocket + HTTP or REST API, Lambda, ElastiCache, the user service's PostgreSQL,
 * alarms and a dashboard), and the union-like classes of its either/or choices.
 *
 * May import: aws-cdk-lib, constructs, `../config/index.js` (the environment contract and its
 * rules), `../manifest.js`, `../metric-names.js`. Nothing from edge, aws or compose: a stack that
 * synthesizes this construct loads no handler code.
 * @module
 */
export { PRESENCE_FUNCTION_NAMES, type PresenceFunctionName } from '../manifest.js';
export { PRESENCE_METRICS } from '../metric-names.js';
export type { PresenceActivityHistoryOptions } from './activity.js';
export {
  type DirectDatabaseOptions,
  PresenceDatabase,
  type PresenceDatabaseCommonOptions,
  type ProxyDatabaseOptions,
} from './database.js';
export {
  type HttpApiAuthorization,
  type HttpApiFrontDoorOptions,
  type PresenceDomain,
  PresenceFrontDoor,
  type RestApiAuthorization,
  type RestApiFrontDoorOptions,
} from './front-door.js';
export { presenceFunctionsDirectory } from './function-code.js';
export type { PresenceFunctionOverrides } from './functions.js';
export {
  GRAPH_CHANGE_DELIVERY_RETRIES,
  GRAPH_CHANGE_DETAIL_TYPES,
  GRAPH_CHANGE_INVOKE_RETRIES,
  GRAPH_CHANGE_MAX_AGE,
} from './graph-changes.js';
export {
  type CognitoIdentityOptions,
  type OidcIdentityOptions,
  PresenceIdentity,
} from './identity.js';
export { PresenceMonitoring, type PresenceMonitoringProps } from './monitoring.js';
export { DEFAULT_THROTTLE, PresenceApi } from './presence-api.js';
export type {
  PresenceApiProps,
  PresenceGatewayTransport,
  PresenceGraphChanges,
  PresenceLogLevel,
} from './props.js';
export {
  type ElastiCacheRedisOptions,
  type ExistingRedisOptions,
  PresenceRedis,
  type PresenceRedisEndpoint,
  type ServerlessRedisOptions,
} from './redis.js';
