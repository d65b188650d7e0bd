/**
 * Adapters of the ports to AWS and to Lambda's log and metric formats: the `@connections`
 * notifier and its two transports, the JWT verifier, Secrets Manager, the loggers, EMF metrics and
 * X-Ray tracing.
 *
 * May import: `@presence/core`, the AWS SDK, aws-jwt-verify, Powertools, types from
 * `../config/index.js` and the handler-facing contracts of `../edge/runtime.js`. Nothing else from
 * edge, nor from compose or cdk.
 * @module
 */
export {
  type ApiGatewayNotifierOptions,
  createApiGatewayNotifier,
  type GatewayNotifier,
  type GatewayReport,
} from './api-gateway-notifier.js';
export {
  createEmfMetrics,
  type MetricsSink,
  type MetricValues,
  NO_METRICS,
} from './emf-metrics.js';
export { type GatewayOutcome, outcomeOfStatus } from './gateway-transport.js';
export { createLogger, type LoggerOptions, serializeFields, silentLogger } from './json-logger.js';
export {
  createPowertoolsLogger,
  type LambdaLogger,
  type PowertoolsLoggerOptions,
} from './powertools-logger.js';
export {
  type DatabaseSecret,
  databaseSecretOf,
  redisAuthTokenOf,
  type SecretReader,
  type SecretSource,
  secretSourceOf,
} from './secrets.js';
export { createSecretsManagerSource, SECRET_MAX_AGE_SECONDS } from './secrets-manager.js';
export {
  type GatewayCredentials,
  type GatewayCredentialsSource,
} from './signed-http-transport.js';
export {
  createTokenVerifier,
  IAT_SKEW_SECONDS,
  stripBearer,
} from './token-verifier.js';
export { loadTracing, NO_TRACING, type Tracing } from './tracing.js';
