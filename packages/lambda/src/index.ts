export type { ApiGatewayNotifierOptions } from './api-gateway-notifier.js';
export { createApiGatewayNotifier } from './api-gateway-notifier.js';
export type {
  AuthConfig,
  CognitoAuthConfig,
  DatabaseConfig,
  DatabaseSslMode,
  JwtAuthConfig,
  LogLevel,
  PresenceConfig,
  RedisConfig,
} from './config.js';
export { parseConfig } from './config.js';
export type { ParsedRestEvent, ParsedWebSocketEvent, WebSocketEvent } from './events.js';
export { parseAuthorizerEvent, parseRestEvent, parseWebSocketEvent } from './events.js';
export type { PresenceHandlers, RuntimeSource } from './handlers.js';
export { createHandlers, sweepSafetyMarginMs } from './handlers.js';
export type { ErrorBody } from './http.js';
export { corsHeaders, errorBodyOf, FORBIDDEN_BODY } from './http.js';
export type { LoggerOptions } from './logger.js';
export { createLogger } from './logger.js';
export type { PresenceRuntime, RuntimeOverrides } from './runtime.js';
export { createRuntime } from './runtime.js';
export type { DatabaseSecret, SecretReader } from './secrets.js';
export { databaseSecretOf, redisAuthTokenOf } from './secrets.js';
export type { TokenVerifier } from './token-verifier.js';
export { createTokenVerifier, stripBearer } from './token-verifier.js';
