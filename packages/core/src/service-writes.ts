import { RateLimitedError } from './errors.js';
import type { PageOptions, TouchResult } from './ports.js';
import type { ServiceContext } from './service-context.js';

/**
 * A touch or setPage with the cap, the rate limit and (setPage only) the deadline and the frame
 * fingerprint; refused frames throw.
 * @throws RateLimitedError when the connection's token bucket refused the frame (nothing changed)
 */
export async function frameWrite<R extends TouchResult>(
  ctx: ServiceContext,
  operation: 'touch' | 'setPage',
  write: (now: number, options: PageOptions) => Promise<R>,
  extra: { readonly now?: number; readonly frameFingerprint?: string } = {},
): Promise<R> {
  const { calls, clock, settings } = ctx;
  const now = extra.now ?? clock.now();
  // A heartbeat carries no deadline: a late one is harmless (see StoreCalls) and it is the hot
  // path, where reading the store's clock would cost a third more Redis time.
  const result = await calls.run(operation, (deadline) =>
    write(now, {
      maxConnections: settings.maxConnections,
      ...(settings.rateLimit === undefined ? {} : { rateLimit: settings.rateLimit }),
      ...(deadline === undefined || operation === 'touch' ? {} : { deadline }),
      ...(extra.frameFingerprint === undefined ? {} : { frameFingerprint: extra.frameFingerprint }),
    }),
  );
  if (result.rateLimited) {
    throw new RateLimitedError(
      `connection sends frames faster than ${settings.rateLimit?.perSecond} per second`,
    );
  }
  return result;
}

/**
 * Closes the sockets the connection cap evicted (clients reconnect or stay closed).
 * @returns how many the cap evicted (0: none)
 */
export async function closeEvicted(
  ctx: ServiceContext,
  op: string,
  userId: string,
  result: TouchResult,
): Promise<number> {
  const evicted = result.evicted ?? [];
  if (evicted.length === 0) return 0;
  await ctx.notifier.close(evicted);
  ctx.log.info({ op, userId, evicted: evicted.length }, 'connections over the cap closed');
  return evicted.length;
}

/** `{ evicted }` when the cap evicted connections, else nothing (the results' optional field). */
export function evictedField(evicted: number): { evicted?: number } {
  return evicted > 0 ? { evicted } : {};
}

/** The `online` activity of a write that brought the user online (none otherwise). */
export function onlineEntries(userId: string, now: number, result: TouchResult) {
  return result.cameOnline === true ? [{ userId, at: now, type: 'online' as const }] : [];
}
