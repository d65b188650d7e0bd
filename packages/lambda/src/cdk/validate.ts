import { Token } from 'aws-cdk-lib';
import { type GroupName, problemsOf } from '../config/index.js';
import { PRESENCE_FUNCTION_NAMES } from '../manifest.js';
import type { PresenceApiProps } from './props.js';

/** The prop a variable comes from, to name it in an error. */
const PROP_OF: Readonly<Record<string, string>> = {
  PRESENCE_TIMEOUT_SECONDS: 'presenceTimeoutSeconds',
  PRESENCE_SWEEP_BATCH_SIZE: 'sweepBatchSize',
  PRESENCE_SWEEP_ANNOUNCE_AFTER: 'sweepAnnounceAfter',
  PRESENCE_MAX_CONNECTIONS_PER_USER: 'maxConnectionsPerUser',
  PRESENCE_FRAME_RATE_PER_SECOND: 'frameRateLimit.perSecond',
  PRESENCE_FRAME_RATE_BURST: 'frameRateLimit.burst',
  PRESENCE_FRAME_REFRESH_SECONDS: 'frameRefreshSeconds',
  PRESENCE_LAST_SEEN_DAYS: 'lastSeenDays',
  PRESENCE_LAST_SEEN_GRANULARITY_SECONDS: 'lastSeenGranularitySeconds',
  LOG_LEVEL: 'logLevel',
  LOG_SAMPLE_RATE: 'logSampleRate',
  METRICS_NAMESPACE: 'metricsNamespace',
  REDIS_KEY_PREFIX: 'redisKeyPrefix',
  CORS_ALLOWED_ORIGINS: 'allowedOrigins',
  GATEWAY_TRANSPORT: 'gatewayTransport',
  DB_SCHEMA: 'database schema',
  PRESENCE_FRIEND_CACHE_SECONDS: 'friendCacheSeconds',
  DB_PORT: 'database port',
  AUTH_COGNITO_USER_POOL_ID: 'identity user pool',
  AUTH_ISSUER: 'identity issuerUrl',
  AUTH_JWKS_URL: 'identity jwksUrl',
  ACTIVITY_RETENTION_DAYS: 'activityHistory.retentionDays',
};

const CHECKED_GROUPS: readonly GroupName[] = [
  'presence',
  'sweep',
  'observability',
  'redis',
  'database',
  'identity',
  'cors',
  'friendCache',
  'activity',
];

/** A number known at synth (not a token) that fails `ok`. */
function bad(value: number | undefined, ok: (n: number) => boolean): value is number {
  return value !== undefined && !Token.isUnresolved(value) && !ok(value);
}

const wholeIn = (min: number, max: number) => (n: number) =>
  Number.isInteger(n) && n >= min && n <= max;

/**
 * Throws one error listing every invalid prop. The variables derived from props are checked with
 * the functions' own configuration rules (one rule, written once, in `config/`); values only known
 * at deploy (tokens) are left to the functions. What is left here is what the environment does not
 * carry: the schedule, function sizes, throttles, and pairings the types cannot forbid.
 */
export function validateProps(
  props: PresenceApiProps,
  environment: Readonly<Record<string, string | undefined>>,
): void {
  const problems: string[] = [];
  for (const { variable, message } of problemsOf(CHECKED_GROUPS, environment)) {
    if (Token.isUnresolved(environment[variable])) continue;
    const prop = PROP_OF[variable];
    problems.push(
      prop === undefined ? `${variable} ${message}` : `${prop} (${variable}) ${message}`,
    );
  }

  const timeout = props.presenceTimeoutSeconds ?? 180;
  const interval = props.sweepIntervalSeconds ?? 60;
  if (bad(interval, (n) => Number.isInteger(n) && n > 0 && n % 60 === 0)) {
    problems.push(
      `sweepIntervalSeconds must be a whole number of minutes (60, 120, ...): the schedule runs at most once a minute; got ${interval}`,
    );
  }
  if (!Token.isUnresolved(interval) && !Token.isUnresolved(timeout) && interval >= timeout) {
    problems.push(
      `sweepIntervalSeconds (${interval}) must be below presenceTimeoutSeconds (${timeout}), or users stay online up to ${timeout + interval} s after their last frame`,
    );
  }
  const sizes: [string, number | undefined, (n: number) => boolean, string][] = [
    ['memorySizeMb', props.memorySizeMb, wholeIn(128, 10_240), 'an integer from 128 to 10240'],
    [
      'functionTimeoutSeconds',
      props.functionTimeoutSeconds,
      wholeIn(1, 29),
      "an integer from 1 to 29 (API Gateway's integration timeout)",
    ],
    [
      'sweepFunctionTimeoutSeconds',
      props.sweepFunctionTimeoutSeconds,
      wholeIn(1, 900),
      'an integer from 1 to 900',
    ],
    ['throttlingRateLimitPerSecond', props.throttlingRateLimitPerSecond, (n) => n > 0, 'positive'],
    [
      'throttlingBurstLimit',
      props.throttlingBurstLimit,
      wholeIn(1, 5000),
      'an integer from 1 to 5000',
    ],
  ];
  for (const name of PRESENCE_FUNCTION_NAMES) {
    const o = props.functionOverrides?.[name];
    if (o === undefined) continue;
    const maxTimeout = name === 'timeout' ? 900 : 29;
    sizes.push(
      [
        `functionOverrides.${name}.memorySizeMb`,
        o.memorySizeMb,
        wholeIn(128, 10_240),
        'an integer from 128 to 10240',
      ],
      [
        `functionOverrides.${name}.timeoutSeconds`,
        o.timeoutSeconds,
        wholeIn(1, maxTimeout),
        `an integer from 1 to ${maxTimeout}`,
      ],
      [
        `functionOverrides.${name}.reservedConcurrency`,
        o.reservedConcurrency,
        wholeIn(0, 10_000),
        'an integer from 0',
      ],
    );
  }
  for (const [prop, value, ok, what] of sizes) {
    if (bad(value, ok)) problems.push(`${prop} must be ${what}, got ${value}`);
  }

  const authorization = props.frontDoor?.authorization ?? 'handler';
  if (authorization === 'cognito' && props.identity.userPool === undefined) {
    problems.push(
      'PresenceFrontDoor.restApi({ authorization: "cognito" }) needs PresenceIdentity.cognito',
    );
  }
  if (authorization === 'jwt' && props.identity.audiences.length === 0) {
    problems.push(
      'PresenceFrontDoor.httpApi({ authorization: "jwt" }) needs the identity\'s audiences (Cognito app clients, or OIDC audiences): the JWT authorizer requires one',
    );
  }
  if (problems.length > 0) {
    throw new Error(`PresenceApi: invalid props:\n- ${problems.join('\n- ')}`);
  }
}
