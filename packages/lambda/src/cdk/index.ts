/**
 * `@presence/lambda/cdk`: the `PresenceApi` construct that deploys the presence API on AWS
 * (API Gateway WebSocket + REST, Lambda, ElastiCache Redis, the user service's PostgreSQL).
 * @module
 */
export {
  PRESENCE_FUNCTION_NAMES,
  type PresenceFunctionName,
  presenceFunctionsDirectory,
} from './function-code.js';
export { PresenceApi, type PresenceRedisEndpoint } from './presence-api.js';
export type {
  PresenceApiProps,
  PresenceDatabaseConnection,
  PresenceGatewayTransport,
  PresenceLogLevel,
  PresenceRedisConnection,
  PresenceRestAuthorization,
} from './props.js';
