import type { OutboxEntry, PartitionMark, ReconcileProgress } from '@presence/core';
import { StoreUnavailableError } from '@presence/core';
import { shareBudget } from './budget.js';
import { unavailable } from './commands.js';
import type { StoreInternals } from './internals.js';

/** TTL of a bucket's sweep marker, refreshed by every sweep: a week without one re-creates it. */
export const MARKER_TTL_MS = 7 * 24 * 3_600_000;

/** Most acknowledgements sent in one script call (bounds how long one call holds Redis). */
const ACKS_PER_CALL = 500;

/**
 * Claims outbox entries: round trip 1 counts the claimable entries of every bucket, round trip 2
 * runs the claim script on the buckets that have some, with `limit` shared out (one pipeline per
 * node). `start` rotates between calls.
 */
export async function claimOutbox(
  internals: StoreInternals,
  now: number,
  limit: number,
  start: number,
): Promise<OutboxEntry[]> {
  const { keys, pipelines, durations } = internals;
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  try {
    const counts = await pipelines.run(
      buckets,
      (bucket) => bucket,
      (bucket) => ['zcount', keys.outboxKey(bucket), '-inf', String(now)],
    );
    const { budgets } = shareBudget(counts.map(Number), limit, start);
    const calls = [...budgets].map(([bucket, budget]) => ({
      bucket,
      budget,
      claim: internals.nextClaim(),
    }));
    if (calls.length === 0) return [];
    const replies = await pipelines.run(
      calls,
      (call) => call.bucket,
      (call) => [
        'presenceClaimV1',
        keys.outboxKey(call.bucket),
        keys.outboxDataKey(call.bucket),
        now,
        call.budget,
        durations.outboxLeaseMs,
        durations.outboxTtlMs,
        call.claim,
      ],
    );
    return calls.flatMap((call, i) => {
      const pairs = replies[i] as string[];
      const entries: OutboxEntry[] = [];
      for (let j = 0; j + 1 < pairs.length; j += 2) {
        entries.push({
          userId: pairs[j] as string,
          lastActivity: Number(pairs[j + 1]),
          claim: call.claim,
        });
      }
      return entries;
    });
  } catch (error) {
    throw unavailable('claimOutbox', error);
  }
}

/** Acknowledges entries: one script per bucket (chunked), pipelined per node. */
export async function ackOutbox(
  internals: StoreInternals,
  entries: readonly OutboxEntry[],
): Promise<number> {
  const { keys, pipelines } = internals;
  const byBucket = new Map<number, string[]>();
  for (const { userId, claim } of entries) {
    if (typeof userId !== 'string' || typeof claim !== 'string' || userId === '') continue;
    const bucket = keys.bucketOf(userId);
    const args = byBucket.get(bucket);
    if (args) args.push(userId, claim);
    else byBucket.set(bucket, [userId, claim]);
  }
  const calls: Array<{ bucket: number; args: string[] }> = [];
  for (const [bucket, args] of byBucket) {
    for (let i = 0; i < args.length; i += 2 * ACKS_PER_CALL) {
      calls.push({ bucket, args: args.slice(i, i + 2 * ACKS_PER_CALL) });
    }
  }
  if (calls.length === 0) return 0;
  try {
    const replies = await pipelines.run(
      calls,
      (call) => call.bucket,
      (call) => [
        'presenceAckV1',
        keys.outboxKey(call.bucket),
        keys.outboxDataKey(call.bucket),
        ...call.args,
      ],
    );
    return replies.reduce<number>((sum, n) => sum + Number(n), 0);
  } catch (error) {
    throw unavailable('ackOutbox', error);
  }
}

/** Reads and refreshes every bucket's marker (one script per bucket, one pipeline per node). */
export async function markSweep(
  internals: StoreInternals,
  now: number,
  gapMs: number,
  deadline: number | undefined,
): Promise<PartitionMark[]> {
  const { keys, pipelines } = internals;
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  let replies: unknown[];
  try {
    replies = await pipelines.run(
      buckets,
      (bucket) => bucket,
      (bucket) => [
        'presenceMarkV1',
        keys.markerKey(bucket),
        now,
        gapMs,
        MARKER_TTL_MS,
        deadline === undefined ? '' : deadline,
      ],
    );
  } catch (error) {
    throw unavailable('markSweep', error);
  }
  if (replies.some((reply) => Number((reply as unknown[])[0]) === 2)) {
    throw new StoreUnavailableError('Redis ran markSweep after its deadline');
  }
  return buckets.map((partition, i) => {
    const [created, epoch, gapFrom, gapTo, cursor] = replies[i] as [
      number,
      string,
      string,
      string,
      string,
    ];
    return {
      partition,
      epoch: Number(epoch),
      lost: Number(created) === 1,
      ...(gapFrom === '' ? {} : { gap: { from: Number(gapFrom), to: Number(gapTo) } }),
      ...(cursor === '' ? {} : { reconcileFrom: Number(cursor) }),
    };
  });
}

/** Records reconcile progress (conditional on each marker's epoch). */
export async function markReconciled(
  internals: StoreInternals,
  progress: readonly ReconcileProgress[],
): Promise<void> {
  const { keys, pipelines } = internals;
  const valid = progress.filter(
    (p) => Number.isInteger(p.partition) && p.partition >= 0 && p.partition < keys.buckets,
  );
  if (valid.length === 0) return;
  try {
    await pipelines.run(
      valid,
      (p) => p.partition,
      (p) => [
        'presenceMarkReconciledV1',
        keys.markerKey(p.partition),
        String(p.epoch),
        p.next,
        keys.buckets,
      ],
    );
  } catch (error) {
    throw unavailable('markReconciled', error);
  }
}

/** Users of one bucket with a connection seen at or after `seenSince` (one ZRANGEBYSCORE). */
export async function liveUsersIn(
  internals: StoreInternals,
  partition: number,
  seenSince: number,
): Promise<string[]> {
  const { keys } = internals;
  if (!Number.isInteger(partition) || partition < 0 || partition >= keys.buckets) return [];
  try {
    const members = await internals
      .client()
      .zrangebyscore(keys.bucketKey(partition), String(seenSince), '+inf');
    return [...new Set(members.map((member) => member.slice(member.indexOf(' ') + 1)))];
  } catch (error) {
    throw unavailable('liveUsersIn', error);
  }
}

/** Last seen of the given users (one GET each, pipelined per node). */
export async function lastSeenOf(
  internals: StoreInternals,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const { keys, pipelines } = internals;
  const result = new Map<string, number>();
  if (ids.length === 0) return result;
  let replies: unknown[];
  try {
    replies = await pipelines.run(
      ids,
      (id) => keys.bucketOf(id),
      (id) => ['get', keys.lastSeenKey(id)],
    );
  } catch (error) {
    throw unavailable('lastSeenOf', error);
  }
  ids.forEach((id, i) => {
    const value = replies[i];
    if (typeof value === 'string' && value !== '') result.set(id, Number(value));
  });
  return result;
}
