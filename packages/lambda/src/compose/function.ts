import { loadTracing, NO_TRACING } from '../aws/index.js';
import { parseFunctionConfig } from '../config/index.js';
import type { RuntimeSource } from '../edge/index.js';
import type { ConfigGroupName, GroupsOf, PresenceFunctionName } from '../manifest.js';
import { composeRuntime, type PortBuilders } from './runtime.js';

/** A builder the function must have when it uses group `G`, and must not have otherwise. */
type Needs<
  F extends PresenceFunctionName,
  G extends ConfigGroupName,
  K extends keyof PortBuilders,
> =
  G extends GroupsOf<F>
    ? { readonly [P in K]-?: NonNullable<PortBuilders[P]> }
    : { readonly [P in K]?: never };

/**
 * The port builders of one function, as the manifest says: the heartbeat must pass a store and a
 * notifier and cannot pass a graph. A builder a function does not need would drag its client into
 * the bundle; a missing one would fail at run time: both fail to compile instead.
 */
export type BuildersFor<F extends PresenceFunctionName> = Needs<F, 'redis', 'store'> &
  Needs<F, 'database', 'graph'> &
  Needs<F, 'gateway', 'notifier'> &
  Needs<F, 'identity', 'verifier'> &
  Needs<F, 'friendCache', 'friendCache'> &
  Needs<F, 'activity', 'activityLog'> &
  (F extends 'authorizer'
    ? { readonly service?: never }
    : { readonly service: NonNullable<PortBuilders['service']> });

/**
 * The runtime of one deployed function, built on its first invocation from `process.env`: only
 * its own configuration groups are parsed (a bad environment fails that invocation with one
 * ConfigError naming every problem) and only its own ports are built. With `TRACING=true` the
 * X-Ray tracer is loaded then, not at import.
 * @example export const handler = createConnectHandler(defineFunction('connect', { store: redisStore }));
 */
export function defineFunction<F extends PresenceFunctionName>(
  name: F,
  builders: BuildersFor<F>,
): RuntimeSource {
  return async () => {
    const config = parseFunctionConfig(name, process.env);
    const tracing = config.observability.tracing
      ? await loadTracing(config.observability.serviceName)
      : NO_TRACING;
    return composeRuntime(config, builders, { tracing });
  };
}
