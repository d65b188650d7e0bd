import type { Announcer } from './announcer.js';
import { isUnavailable } from './errors.js';
import type { PartitionMark, SweepMarkers } from './ports.js';
import { timeoutFrame } from './presence-view.js';
import type { ServiceContext } from './service-context.js';

/** What a reconcile run did. */
export interface ReconcileResult {
  /** `presence-timeout` frames delivered. */
  readonly sent: number;
  /** False when it stopped early (deadline, a backend down, posts failed): the next sweep goes on. */
  readonly done: boolean;
}

/**
 * After data loss: the store forgot who was online in the `lost` partitions, so friends who were
 * told "online" about a user there may never hear otherwise (the user's connections, outbox entry
 * and pages are gone). Once live clients had `reconcileAfterMs` to re-register by heartbeat, every
 * live user's connections are sent `presence-timeout` for each friend of a lost partition who is not
 * online now. Clients in the field understand only the existing frames, and treat them as state, so
 * a timeout for a friend already shown offline is harmless.
 *
 * The live users are visited partition by partition, recording progress in the lost partitions'
 * markers after each one, so a run cut short by its deadline (or a backend down, or failed posts)
 * resumes where it stopped; a partition visited twice only repeats frames.
 */
export async function reconcileLostPartitions(
  ctx: ServiceContext,
  announcer: Announcer,
  pending: readonly PartitionMark[],
  seenSince: number,
  beforeDeadline: () => boolean,
): Promise<ReconcileResult> {
  const markers = ctx.markers as SweepMarkers;
  const lost = new Set(pending.map((mark) => mark.partition));
  const start = Math.min(...pending.map((mark) => mark.reconcileFrom ?? 0));
  let sent = 0;
  try {
    for (let partition = start; partition < markers.partitions; partition++) {
      if (!beforeDeadline()) return { sent, done: false };
      const users = await ctx.calls.run('liveUsersIn', () =>
        markers.liveUsersIn(partition, seenSince),
      );
      let failed = false;
      for (let i = 0; i < users.length; i += ctx.settings.batchSize) {
        const chunk = users.slice(i, i + ctx.settings.batchSize);
        const told = await tellChunk(ctx, announcer, markers, chunk, lost, seenSince);
        sent += told.sent;
        failed ||= told.failed;
      }
      if (failed) return { sent, done: false };
      const progress = pending
        .filter((mark) => (mark.reconcileFrom ?? 0) <= partition)
        .map((mark) => ({ partition: mark.partition, epoch: mark.epoch, next: partition + 1 }));
      await ctx.calls.run('markReconciled', () => markers.markReconciled(progress));
    }
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    ctx.log.warn({ op: 'reconcile', sent }, 'reconcile stopped: a backend is unavailable');
    return { sent, done: false };
  }
  ctx.log.info({ op: 'reconcile', partitions: lost.size, sent }, 'lost partitions reconciled');
  return { sent, done: true };
}

/** Tells one chunk of live users about their friends of the lost partitions who are not online. */
async function tellChunk(
  ctx: ServiceContext,
  announcer: Announcer,
  markers: SweepMarkers,
  users: readonly string[],
  lost: ReadonlySet<number>,
  seenSince: number,
): Promise<{ sent: number; failed: boolean }> {
  const friendsByUser = await ctx.graph.friendsOfMany(users);
  const candidates = new Set<string>();
  for (const [user, friends] of friendsByUser) {
    for (const friend of friends) {
      if (friend !== user && lost.has(markers.partitionOf(friend))) candidates.add(friend);
    }
  }
  if (candidates.size === 0) return { sent: 0, failed: false };
  const connections = await ctx.calls.run('connectionsOf', () =>
    ctx.store.connectionsOf([...new Set([...users, ...candidates])], seenSince),
  );
  const recipientsOf = new Map<string, string[]>();
  for (const [user, friends] of friendsByUser) {
    const own = connections.get(user) ?? [];
    if (own.length === 0) continue;
    for (const friend of new Set(friends)) {
      if (!candidates.has(friend) || connections.has(friend)) continue;
      const list = recipientsOf.get(friend);
      if (list) list.push(...own);
      else recipientsOf.set(friend, [...own]);
    }
  }
  const reports = await Promise.all(
    // The lost partitions' last seen went with their data: unknown.
    [...recipientsOf].map(([friend, targets]) =>
      ctx.notifier.send(targets, timeoutFrame(friend, null)),
    ),
  );
  let sent = 0;
  let failed = false;
  for (const report of reports) {
    sent += report.delivered.length;
    failed ||= report.failed.length > 0;
    if (report.gone.length > 0) await announcer.dropGone(report);
  }
  return { sent, failed };
}
