import {
  HIDDEN_PAGE,
  InvalidInputError,
  type OnlineRecord,
  type PresenceWithLastSeen,
} from '@presence/core';
import { assertTime, unavailable } from './commands.js';
import type { StoreInternals } from './internals.js';
import { pageOf } from './page-codec.js';

/** Users per live-connections script call: bounds how long one call holds Redis (~1 ms). */
const LIVE_KEYS_PER_CALL = 500;

/** One single-key read per user (`HKEYS` or `HGETALL` of the user hash), pipelined per node. */
async function readUsers(
  internals: StoreInternals,
  operation: string,
  ids: readonly string[],
  command: 'hkeys' | 'hgetall',
): Promise<Array<[string, unknown]>> {
  if (ids.length === 0) return [];
  const { keys, pipelines } = internals;
  try {
    const replies = await pipelines.run(
      ids,
      (id) => keys.bucketOf(id),
      (id) => [command, keys.userKey(id)],
    );
    return ids.map((id, index) => [id, replies[index]]);
  } catch (error) {
    throw unavailable(operation, error);
  }
}

/**
 * Connection ids of each user: field names only (`HKEYS`); with `seenSince`, a read-only script per
 * bucket (one slot) and up to 500 users compares each connection's last-seen in Redis and sends back
 * only the live ones (in a mass timeout most friends read this way have none).
 */
export async function connectionsOf(
  internals: StoreInternals,
  ids: readonly string[],
  seenSince?: number,
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (seenSince === undefined) {
    for (const [userId, fields] of await readUsers(internals, 'connectionsOf', ids, 'hkeys')) {
      const connections = (fields as string[])
        .filter((field) => field.startsWith('c:'))
        .map((field) => field.slice(2));
      if (connections.length > 0) result.set(userId, connections);
    }
    return result;
  }
  assertTime(seenSince, 'seenSince');
  const { keys, pipelines } = internals;
  const byBucket = new Map<number, string[]>();
  for (const id of ids) {
    const bucket = keys.bucketOf(id);
    const users = byBucket.get(bucket);
    if (users) users.push(id);
    else byBucket.set(bucket, [id]);
  }
  const calls: Array<{ bucket: number; users: string[] }> = [];
  for (const [bucket, users] of byBucket) {
    for (let i = 0; i < users.length; i += LIVE_KEYS_PER_CALL) {
      calls.push({ bucket, users: users.slice(i, i + LIVE_KEYS_PER_CALL) });
    }
  }
  if (calls.length === 0) return result;
  let replies: unknown[];
  try {
    replies = await pipelines.run(
      calls,
      (call) => call.bucket,
      (call) => [
        'presenceLiveConnectionsV2',
        call.users.length,
        ...call.users.map((id) => keys.userKey(id, call.bucket)),
        seenSince,
      ],
    );
  } catch (error) {
    throw unavailable('connectionsOf', error);
  }
  calls.forEach((call, i) => {
    const live = replies[i] as string[][];
    call.users.forEach((id, j) => {
      const connections = live[j];
      if (connections !== undefined && connections.length > 0) result.set(id, connections);
    });
  });
  return result;
}

/** The record of an online user from their hash, `undefined` when it holds no connection. */
function recordOf(hash: unknown): OnlineRecord | undefined {
  const fields = hash as Record<string, string>;
  if (!Object.keys(fields).some((field) => field.startsWith('c:'))) return undefined;
  return {
    page: pageOf(fields, '') ?? HIDDEN_PAGE,
    latestPage: fields.L === undefined ? pageOf(fields, 'l') : pageOf(fields, ''),
  };
}

/** Presence of each online user (`HGETALL` of each hash, pipelined per node). */
export async function presenceOf(
  internals: StoreInternals,
  ids: readonly string[],
): Promise<Map<string, OnlineRecord>> {
  const result = new Map<string, OnlineRecord>();
  for (const [userId, hash] of await readUsers(internals, 'presenceOf', ids, 'hgetall')) {
    const record = recordOf(hash);
    if (record !== undefined) result.set(userId, record);
  }
  return result;
}

/**
 * Presence and last seen together: `HGETALL` of each user hash and `GET` of each last-seen key,
 * both in the user's slot, in one pipeline per node (one round trip).
 */
export async function presenceWithLastSeenOf(
  internals: StoreInternals,
  ids: readonly string[],
): Promise<PresenceWithLastSeen> {
  const online = new Map<string, OnlineRecord>();
  const lastSeen = new Map<string, number>();
  if (ids.length === 0) return { online, lastSeen };
  const { keys, pipelines } = internals;
  const items = ids.flatMap((id) => [
    { id, read: 'hgetall' as const },
    { id, read: 'get' as const },
  ]);
  let replies: unknown[];
  try {
    replies = await pipelines.run(
      items,
      (item) => keys.bucketOf(item.id),
      (item) =>
        item.read === 'hgetall'
          ? ['hgetall', keys.userKey(item.id)]
          : ['get', keys.lastSeenKey(item.id)],
    );
  } catch (error) {
    throw unavailable('presenceWithLastSeenOf', error);
  }
  ids.forEach((id, i) => {
    const record = recordOf(replies[2 * i]);
    if (record !== undefined) {
      online.set(id, record);
      return;
    }
    const seen = replies[2 * i + 1];
    if (typeof seen === 'string' && seen !== '') lastSeen.set(id, Number(seen));
  });
  return { online, lastSeen };
}

/**
 * Users with a connection seen since `seenSince`, or `undefined` past `limit` connections. Round
 * trip 1 counts the live members of every bucket; round trip 2 (only when few enough) reads them.
 * Members are `<connectionId> <userId>` and connection ids hold no space.
 */
export async function liveUsers(
  internals: StoreInternals,
  seenSince: number,
  limit: number,
): Promise<string[] | undefined> {
  assertTime(seenSince, 'seenSince');
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidInputError(`liveUsers limit must be a whole number, got ${limit}`);
  }
  const { keys, pipelines } = internals;
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  const since = String(seenSince);
  try {
    const counts = await pipelines.run(
      buckets,
      (bucket) => bucket,
      (bucket) => ['zcount', keys.bucketKey(bucket), since, '+inf'],
    );
    const total = counts.reduce<number>((sum, n) => sum + Number(n), 0);
    if (total > limit) return undefined;
    const populated = buckets.filter((bucket) => Number(counts[bucket]) > 0);
    if (populated.length === 0) return [];
    const members = await pipelines.run(
      populated,
      (bucket) => bucket,
      (bucket) => ['zrangebyscore', keys.bucketKey(bucket), since, '+inf'],
    );
    const users = new Set<string>();
    for (const list of members as string[][]) {
      for (const member of list) users.add(member.slice(member.indexOf(' ') + 1));
    }
    return [...users];
  } catch (error) {
    throw unavailable('liveUsers', error);
  }
}
