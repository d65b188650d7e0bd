import type { ConnectionRef, OutboxEntry, SweepBatch } from '@presence/core';
import { shareBudget } from './budget.js';
import { unavailable } from './commands.js';
import { offlineArg, type StoreInternals } from './internals.js';

/**
 * One store sweep call. Round trip 1: count the stale and all members of every bucket (pipelined per
 * node). Round trip 2: sweep only the buckets that have stale members, with the `limit` handed out
 * so that exactly min(limit, stale) go, starting at the rotating `start` bucket; in parallel. On a
 * cluster the swept connections' records live in other slots: they are dropped after the atomic
 * step (a failure there is harmless: records expire by TTL and are rewritten by the next touch).
 * Buckets whose script failed are left untouched: the others' results come back with `more`.
 */
export async function sweepBuckets(
  internals: StoreInternals,
  cutoff: number,
  limit: number,
  now: number,
  start: number,
): Promise<SweepBatch> {
  const { keys, pipelines } = internals;
  const client = internals.client();
  const single = internals.isCluster() ? '0' : '1';
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  let replies: unknown[];
  try {
    replies = await pipelines.run(
      buckets.flatMap((bucket) => [
        { bucket, count: ['zcount', keys.bucketKey(bucket), '-inf', `(${cutoff}`] },
        { bucket, count: ['zcard', keys.bucketKey(bucket)] },
      ]),
      (item) => item.bucket,
      (item) => item.count,
    );
  } catch (error) {
    throw unavailable('sweep', error);
  }
  const stale = buckets.map((bucket) => Number(replies[2 * bucket]));
  const counts = {
    stale: stale.reduce((sum, n) => sum + n, 0),
    total: buckets.reduce((sum, bucket) => sum + Number(replies[2 * bucket + 1]), 0),
  };
  const share = shareBudget(stale, limit, start);
  let more = share.more;
  const swept = [...share.budgets.keys()];
  const settled = await Promise.allSettled(
    swept.map((bucket) =>
      client.presenceSweepV2(
        keys.bucketKey(bucket),
        String(cutoff),
        share.budgets.get(bucket) as number,
        keys.base,
        bucket,
        single,
        offlineArg(internals, now),
      ),
    ),
  );
  const expired: ConnectionRef[] = [];
  const offline: string[] = [];
  const announcements: OutboxEntry[] = [];
  const records: Promise<unknown>[] = [];
  let failure: unknown;
  settled.forEach((outcome, index) => {
    const bucket = swept[index] as number;
    if (outcome.status === 'rejected') {
      failure ??= outcome.reason;
      return;
    }
    const [bucketMore, pairs, gone, claim] = outcome.value as [number, string[], string[], string];
    if (bucketMore === 1) more = true;
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const connectionId = pairs[i] as string;
      const userId = pairs[i + 1] as string;
      expired.push({ userId, connectionId });
      if (single === '0') {
        records.push(
          client.presenceDeleteIfEqualV1(
            keys.connectionKey(connectionId),
            keys.owner(userId, bucket),
          ),
        );
      }
    }
    for (let i = 0; i + 1 < gone.length; i += 2) {
      const userId = gone[i] as string;
      offline.push(userId);
      announcements.push({ userId, lastActivity: Number(gone[i + 1]), claim });
    }
  });
  await Promise.allSettled(records);
  if (failure !== undefined) {
    if (expired.length === 0) throw unavailable('sweep', failure);
    more = true;
  }
  return { expired, offline, more, announcements, counts };
}
