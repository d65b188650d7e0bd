import { parseConfig } from './config.js';
import { createHandlers, type PresenceHandlers } from './handlers.js';
import { createRuntime } from './runtime.js';

/**
 * The handlers every bundled function exports, over one runtime per container built from
 * `process.env` on the first invocation: a bad environment fails that invocation with one
 * ConfigError naming every problem; clients, pools and the JWKS cache then live as long as the
 * container.
 */
export const lambdaHandlers: PresenceHandlers = createHandlers(async () =>
  createRuntime(parseConfig(process.env)),
);
