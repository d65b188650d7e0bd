/**
 * The twelve Lambda functions of the presence API and what each one uses: the one table that the
 * function entries (which ports to build, which configuration groups to parse) and the CDK
 * construct (which environment variables to set, which grants to give) both follow.
 *
 * May import: nothing (pure data).
 * @module
 */

/** The groups of environment variables a function may use, one per concern (see `config/`). */
export const CONFIG_GROUP_NAMES = [
  'presence',
  'sweep',
  'redis',
  'database',
  'identity',
  'gateway',
  'cors',
  'friendCache',
  'activity',
] as const;

/** A group of environment variables, one per concern (see `config/`). */
export type ConfigGroupName = (typeof CONFIG_GROUP_NAMES)[number];

/** What one function uses. `observability` and the Lambda-provided `aws` group go to every function. */
export interface FunctionManifest {
  /** The operation name in logs and the `operation` metric dimension. */
  readonly op: string;
  /** Configuration groups it parses, hence the environment variables it gets (a zod `pick` mask). */
  readonly groups: Readonly<Partial<Record<ConfigGroupName, true>>>;
  /** Whether it posts frames (`PostToConnection`); only with `gateway`. */
  readonly postsFrames: boolean;
  /** Whether it closes sockets (`DeleteConnection`); only with `gateway`. */
  readonly closesSockets: boolean;
  /** One line for the function's description. */
  readonly description: string;
}

/**
 * The functions, named like their bundles in `dist/functions/<name>`. Ports follow the groups:
 * `redis` → the presence store, `database` → the friend graph, `gateway` → the `@connections`
 * notifier, `identity` → the token verifier, `friendCache` → the Redis friend-list cache in front
 * of the graph (when `PRESENCE_FRIEND_CACHE_SECONDS` > 0). `get-presence` has no `friendCache`: it
 * reads friends with their profiles, which are never cached.
 */
export const PRESENCE_FUNCTIONS = {
  // Verifies the JWT only (JWKS over HTTPS): no store, no database, no gateway.
  authorizer: {
    op: 'authorize',
    groups: { identity: true },
    postsFrames: false,
    closesSockets: false,
    description: 'verifies the JWT for WebSocket $connect and the REST API',
  },
  // Registers the connection; never posts from inside $connect (the socket is not open yet). It
  // closes the user's least recently seen socket when the new one goes over the connection cap.
  connect: {
    op: 'connect',
    groups: { presence: true, redis: true, gateway: true, activity: true },
    postsFrames: false,
    closesSockets: true,
    description: 'WebSocket $connect',
  },
  // Refreshes liveness; answers a bad frame with a JSON error frame.
  // A heartbeat re-registering its connection may go over the cap too (as may an update).
  heartbeat: {
    op: 'heartbeat',
    groups: { presence: true, redis: true, gateway: true, activity: true },
    postsFrames: true,
    closesSockets: true,
    description: 'WebSocket heartbeat route',
  },
  'update-presence': {
    op: 'update-presence',
    groups: {
      presence: true,
      redis: true,
      database: true,
      gateway: true,
      friendCache: true,
      activity: true,
    },
    postsFrames: true,
    closesSockets: true,
    description: 'WebSocket update-presence route',
  },
  // The last connection going away notifies the user's online friends.
  disconnect: {
    op: 'disconnect',
    groups: {
      presence: true,
      redis: true,
      database: true,
      gateway: true,
      friendCache: true,
      activity: true,
    },
    postsFrames: true,
    closesSockets: false,
    description: 'WebSocket $disconnect',
  },
  // Unknown actions and malformed frames get a JSON error frame; nothing else is read.
  default: {
    op: 'default',
    groups: { gateway: true },
    postsFrames: true,
    closesSockets: false,
    description: 'WebSocket $default route (unknown actions)',
  },
  // The sweep notifies friends and closes the stale sockets it finds (DeleteConnection).
  timeout: {
    op: 'timeout',
    groups: {
      presence: true,
      sweep: true,
      redis: true,
      database: true,
      gateway: true,
      friendCache: true,
      activity: true,
    },
    postsFrames: true,
    closesSockets: true,
    description: 'scheduled timeout sweep',
  },
  'get-presence': {
    op: 'get-presence',
    groups: { presence: true, redis: true, database: true, identity: true, cors: true },
    postsFrames: false,
    closesSockets: false,
    description: 'GET /presence',
  },
  'get-user-presence': {
    op: 'get-user-presence',
    groups: {
      presence: true,
      redis: true,
      database: true,
      identity: true,
      cors: true,
      friendCache: true,
    },
    postsFrames: false,
    closesSockets: false,
    description: 'GET /presence/{userId}',
  },
  // The user service's friend-graph changes (EventBridge): forgets the friend cache's entries of
  // the users and tells ex-friends' connections at once (a presence-timeout for each other).
  'graph-changed': {
    op: 'graph-changed',
    groups: {
      presence: true,
      redis: true,
      database: true,
      gateway: true,
      friendCache: true,
      activity: true,
    },
    postsFrames: true,
    closesSockets: false,
    description: 'friend-graph changes from the user service (EventBridge)',
  },
  // The caller's own activity history (issue 14): the table only, no store, graph or gateway.
  'get-activity': {
    op: 'get-activity',
    groups: { identity: true, cors: true, activity: true },
    postsFrames: false,
    closesSockets: false,
    description: 'GET /activity',
  },
  'delete-activity': {
    op: 'delete-activity',
    groups: { identity: true, cors: true, activity: true },
    postsFrames: false,
    closesSockets: false,
    description: 'DELETE /activity',
  },
} as const satisfies Record<string, FunctionManifest>;

/** The name of one of the presence API's Lambda functions (and of its bundle directory). */
export type PresenceFunctionName = keyof typeof PRESENCE_FUNCTIONS;

/** The function names, in a stable order. */
export const PRESENCE_FUNCTION_NAMES = Object.keys(PRESENCE_FUNCTIONS) as PresenceFunctionName[];

/** The configuration groups one function parses. */
export type GroupsOf<F extends PresenceFunctionName> = Extract<
  keyof (typeof PRESENCE_FUNCTIONS)[F]['groups'],
  ConfigGroupName
>;

/** Whether a function uses a configuration group (and so the port behind it). */
export function usesGroup(name: PresenceFunctionName, group: ConfigGroupName): boolean {
  return Object.hasOwn(PRESENCE_FUNCTIONS[name].groups, group);
}
