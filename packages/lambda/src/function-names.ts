/** The nine Lambda functions of the presence API, named like their bundles in `dist/functions/<name>`. */
export const PRESENCE_FUNCTION_NAMES = [
  'authorizer',
  'connect',
  'heartbeat',
  'update-presence',
  'disconnect',
  'default',
  'timeout',
  'get-presence',
  'get-user-presence',
] as const;

/** The name of one of the presence API's Lambda functions (and of its bundle directory). */
export type PresenceFunctionName = (typeof PRESENCE_FUNCTION_NAMES)[number];
