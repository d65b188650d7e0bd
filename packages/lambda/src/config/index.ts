/**
 * The one typed configuration contract: grouped zod schemas (see `groups.ts`), the environment type
 * `PresenceEnv` that every environment is built through (the CDK construct, `@presence/local`,
 * the bench, tests), and the parsers that turn an environment into the runtime configuration.
 *
 * May import: `@presence/core` (errors), zod, `../manifest.js`. Nothing from edge, aws, compose, cdk.
 * @module
 */
import { ConfigError } from '@presence/core';
import * as z from 'zod';
import {
  CONFIG_GROUP_NAMES,
  type ConfigGroupName,
  type GroupsOf,
  PRESENCE_FUNCTIONS,
  type PresenceFunctionName,
} from '../manifest.js';
import { normalizeEnv } from './fields.js';
import {
  activityGroup,
  awsGroup,
  corsGroup,
  databaseGroup,
  friendCacheGroup,
  gatewayGroup,
  identityGroup,
  observabilityGroup,
  presenceGroup,
  redisGroup,
  sweepGroup,
} from './groups.js';

export type { DatabaseSslMode, LogLevel } from './groups.js';

/**
 * Every group under its name. Each group reads the whole (flat) environment: the preprocess step
 * below hands the same environment to every key, so a group's issues carry its variable names.
 */
const GROUP_SHAPE = {
  presence: presenceGroup,
  sweep: sweepGroup,
  redis: redisGroup,
  database: databaseGroup,
  identity: identityGroup,
  gateway: gatewayGroup,
  cors: corsGroup,
  observability: observabilityGroup,
  aws: awsGroup,
  friendCache: friendCacheGroup,
  activity: activityGroup,
};
const ALL_GROUPS = z.object(GROUP_SHAPE);
const ALWAYS = { observability: true, aws: true } as const;

type Shape = typeof GROUP_SHAPE;
/** The name of one configuration group (`aws` included). */
export type GroupName = keyof Shape;

/** The runtime configuration of every group: what {@link parseConfig} returns. */
export type PresenceConfig = z.output<typeof ALL_GROUPS>;
/** The runtime configuration of one function: its groups, plus `observability` and `aws`. */
export type FunctionConfig<F extends PresenceFunctionName> = Pick<
  PresenceConfig,
  GroupsOf<F> | keyof typeof ALWAYS
>;

/** The schema of some groups (its output type names every group; only these are parsed). */
function schemaOf(groups: readonly GroupName[]) {
  const mask: { [K in GroupName]?: true } = {};
  for (const group of groups) mask[group] = true;
  return ALL_GROUPS.pick(mask);
}
/** The Redis part of the configuration. */
export type RedisConfig = PresenceConfig['redis'];
/** The PostgreSQL part: a URL, a host with a secret, or RDS Proxy with IAM authentication. */
export type DatabaseConfig = PresenceConfig['database'];
/** How tokens are verified: Cognito ID tokens, or any OIDC issuer. */
export type AuthConfig = PresenceConfig['identity'];
/** Cognito ID tokens of one user pool. */
export type CognitoAuthConfig = Extract<AuthConfig, { kind: 'cognito' }>;
/** A generic OIDC issuer. */
export type OidcAuthConfig = Extract<AuthConfig, { kind: 'oidc' }>;
/** Logs, metrics and traces. */
export type ObservabilityConfig = PresenceConfig['observability'];
/** The friend-list cache: its TTL (0 = off). */
export type FriendCacheConfig = PresenceConfig['friendCache'];
/** How frames reach the `@connections` API. */
export type GatewayConfig = PresenceConfig['gateway'];
/** How the notifier calls `@connections`: the AWS SDK client, or signed node:http(s) requests. */
export type NotifierTransport = GatewayConfig['transport'];
/** The activity history's table and retention; `undefined` when `ACTIVITY_TABLE_NAME` is unset. */
export type ActivityConfig = PresenceConfig['activity'];

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (
  k: infer I,
) => void
  ? I
  : never;

/**
 * The intersection of the groups' environments, each kept whole: a group's either/or variants stay
 * a union (boxing them keeps UnionToIntersection from distributing over the variants).
 */
type EnvOf<G extends GroupName> =
  UnionToIntersection<{ [K in G]: { readonly env: GroupEnv<K> } }[G]> extends {
    readonly env: infer E;
  }
    ? E
    : never;

/** The environment variables of one group, as an environment builder writes them. */
export type GroupEnv<G extends GroupName> = z.input<Shape[G]>;

/**
 * The environment variables of every deployed function (all groups but the Lambda-provided `aws`
 * one). Build an environment through this type and a misspelt variable, or an invalid either/or
 * combination (a Cognito pool beside an OIDC issuer), fails to compile.
 * @example const env: PresenceEnv = { AUTH_PROVIDER: 'oidc', AUTH_ISSUER: ..., ... };
 */
export type PresenceEnv = EnvOf<Exclude<GroupName, 'aws'>>;

/** The environment of one function: the variables of its groups and `observability`. */
export type FunctionEnv<F extends PresenceFunctionName> = EnvOf<GroupsOf<F> | 'observability'>;

/** The variable names of a group, across all of its either/or variants. */
function variablesOf(schema: z.ZodType): string[] {
  const input = schema instanceof z.ZodPipe ? schema.in : schema;
  if (input instanceof z.ZodObject) return Object.keys(input.shape);
  if (input instanceof z.ZodDiscriminatedUnion) {
    return [...new Set(input.options.flatMap((option) => variablesOf(option as z.ZodType)))];
  }
  return [];
}

/** The variable names each group reads (for the construct: a function gets only its own). */
export const GROUP_VARIABLES: Readonly<Record<GroupName, readonly string[]>> = Object.freeze({
  presence: variablesOf(presenceGroup),
  sweep: variablesOf(sweepGroup),
  redis: variablesOf(redisGroup),
  database: variablesOf(databaseGroup),
  identity: variablesOf(identityGroup),
  gateway: variablesOf(gatewayGroup),
  cors: variablesOf(corsGroup),
  observability: variablesOf(observabilityGroup),
  aws: variablesOf(awsGroup),
  friendCache: variablesOf(friendCacheGroup),
  activity: variablesOf(activityGroup),
});

/** The variable names one function reads (its groups and `observability`). */
export function variablesOfFunction(name: PresenceFunctionName): string[] {
  const groups: readonly GroupName[] = [...groupsOf(name), 'observability'];
  return groups.flatMap((group) => GROUP_VARIABLES[group]);
}

/** The configuration groups of one function, in the manifest's order. */
export function groupsOf(name: PresenceFunctionName): ConfigGroupName[] {
  const groups: Readonly<Partial<Record<ConfigGroupName, true>>> = PRESENCE_FUNCTIONS[name].groups;
  return CONFIG_GROUP_NAMES.filter((group) => groups[group] === true);
}

/** One problem of an environment: the variable and what is wrong with it. */
export interface EnvProblem {
  readonly variable: string;
  readonly message: string;
}

function issuesOf<S extends z.ZodType>(
  schema: S,
  keys: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { data: z.output<S> } | { problems: EnvProblem[] } {
  const flat = normalizeEnv(env);
  const parsed = schema.safeParse(Object.fromEntries(keys.map((key) => [key, flat])));
  if (parsed.success) return { data: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.findLast(
      (segment) => typeof segment === 'string' && segment === segment.toUpperCase(),
    );
    return { variable: String(variable ?? issue.path.join('.')), message: issue.message };
  });
  return { problems };
}

/** Runs `schema` over the environment handed to every group key; one ConfigError names every problem. */
function parseWith<S extends z.ZodType>(
  schema: S,
  keys: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const result = issuesOf(schema, keys, env);
  if ('data' in result) {
    Object.freeze(result.data);
    return result.data;
  }
  const problems = result.problems.map((p) => `${p.variable} ${p.message}`);
  throw new ConfigError(`Invalid presence configuration: ${[...new Set(problems)].join('; ')}`);
}

/**
 * The problems of some groups of an environment, without throwing: the CDK construct checks the
 * variables it derives from props with the very rules the functions apply.
 */
export function problemsOf(
  groups: readonly GroupName[],
  env: Readonly<Record<string, string | undefined>>,
): EnvProblem[] {
  const result = issuesOf(schemaOf(groups), groups, env);
  return 'problems' in result ? result.problems : [];
}

/**
 * Reads and validates every group of the environment (see the README table): the configuration a
 * process hosting all twelve handlers needs (`@presence/local`, the bench, tests).
 * @throws ConfigError whose message names every problem at once
 * @example const config = parseConfig(process.env);
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): PresenceConfig {
  return parseWith(ALL_GROUPS, Object.keys(GROUP_SHAPE), env);
}

/**
 * Reads and validates only the groups one function uses: a function's bundle neither needs nor
 * checks another function's variables.
 * @throws ConfigError whose message names every problem at once
 * @example const config = parseFunctionConfig('heartbeat', process.env);
 */
export function parseFunctionConfig<F extends PresenceFunctionName>(
  name: F,
  env: Readonly<Record<string, string | undefined>>,
): FunctionConfig<F> {
  const groups: GroupName[] = [...groupsOf(name), 'observability', 'aws'];
  return parseWith(schemaOf(groups), groups, env);
}
