import {
  assertConnectionId,
  assertPageOptions,
  type ConnectionRef,
  InvalidInputError,
  type Page,
  type PageOptions,
  type PresenceLimits,
  type RemovedConnection,
  type RemoveOptions,
  StoreUnavailableError,
  type TouchResult,
} from '@presence/core';
import { assertTime, checkUserId, isValid, type ScriptClient, unavailable } from './commands.js';
import { offlineArg, type StoreInternals } from './internals.js';
import { pageChunks } from './page-codec.js';

/** The parsed reply of the upsert script. */
export interface Written {
  /** 0 written, 1 refused by the rate limit. */
  readonly status: number;
  readonly known: boolean;
  readonly evicted: string[];
  /** The write created the user (they came online). */
  readonly created: boolean;
  /** setPage: the frame fingerprint equalled the one kept. */
  readonly unchanged: boolean;
  /** For setPage: the latest page's field-value pairs. */
  readonly rest: unknown[];
}

/**
 * The upsert script for add, touch and setPage (`mode` 't' or 'p'), with the write options.
 * @throws StoreUnavailableError when Redis failed, or ran the write after its deadline (nothing written)
 */
export async function upsert(
  internals: StoreInternals,
  limits: PresenceLimits,
  operation: string,
  write: {
    ref: ConnectionRef;
    now: number;
    mode: 't' | 'p';
    page: Page;
    shared: boolean;
    options: PageOptions;
  },
): Promise<Written> {
  const { ref, now, mode, page, shared, options } = write;
  if (typeof ref !== 'object' || ref === null) {
    throw new InvalidInputError('ref must be an object with userId and connectionId');
  }
  const userId = checkUserId(ref.userId, limits);
  const connectionId = assertConnectionId(ref.connectionId, limits);
  assertTime(now, 'now');
  assertPageOptions(options);
  const client = internals.client();
  const keys = internals.keys;
  const bucket = keys.bucketOf(userId);
  const userKey = keys.userKey(userId, bucket);
  const bucketKey = keys.bucketKey(bucket);
  const chunks = pageChunks(page);
  const args = [
    connectionId,
    userId,
    String(now),
    internals.durations.ttlMs,
    bucket,
    keys.base,
    mode,
    shared ? '1' : '0',
    chunks.url.length,
    chunks.title.length,
    options.deadline === undefined ? '' : String(options.deadline),
    options.maxConnections === undefined ? '' : options.maxConnections,
    options.rateLimit === undefined
      ? ''
      : `${options.rateLimit.perSecond} ${options.rateLimit.burst}`,
    offlineArg(internals, now),
    mode === 'p' ? (options.frameFingerprint ?? '') : '',
    ...chunks.url,
    ...chunks.title,
  ];
  let reply: unknown;
  try {
    reply = internals.isCluster()
      ? await upsertOnCluster(internals, client, {
          userKey,
          bucketKey,
          connectionId,
          userId,
          bucket,
          now,
          args,
        })
      : ((await client.presenceUpsertV3Single(
          userKey,
          bucketKey,
          keys.connectionKey(connectionId),
          ...args,
        )) as unknown[]);
  } catch (error) {
    throw unavailable(operation, error);
  }
  // The heartbeat's path answers with the bare `known` flag.
  if (typeof reply === 'number') {
    return {
      status: 0,
      known: reply === 1,
      evicted: [],
      created: false,
      unchanged: false,
      rest: [],
    };
  }
  const [status, known, evicted, flags, ...rest] = reply as [
    number,
    number?,
    string[]?,
    number?,
    ...unknown[],
  ];
  if (status === 2) {
    throw new StoreUnavailableError(
      `Redis ran ${operation} after its deadline: nothing was written`,
    );
  }
  return {
    status,
    known: known === 1,
    evicted: evicted ?? [],
    created: ((flags ?? 0) & 1) === 1,
    unchanged: ((flags ?? 0) & 2) === 2,
    rest,
  };
}

/** An upsert's outcome as the port's {@link TouchResult}. */
export function touchResult(written: Written): TouchResult {
  if (written.status === 1) return { wasRegistered: true, rateLimited: true };
  return {
    wasRegistered: written.known,
    ...(written.evicted.length > 0 ? { evicted: written.evicted } : {}),
    ...(written.created ? { cameOnline: true } : {}),
  };
}

/**
 * On a cluster the record has its own slot: it is written in the same round trip, beside the
 * user's script, by a script that enforces the same deadline. A rate-limited frame refreshes only
 * the record's TTL (its owner is unchanged: the rate limit applies to known connections).
 */
async function upsertOnCluster(
  internals: StoreInternals,
  client: ScriptClient,
  write: {
    userKey: string;
    bucketKey: string;
    connectionId: string;
    userId: string;
    bucket: number;
    now: number;
    args: (string | number)[];
  },
): Promise<unknown> {
  const { keys } = internals;
  const { connectionId, now, args } = write;
  const owner = keys.owner(write.userId, write.bucket);
  const deadline = args[10] as string;
  const [reply, record] = (await Promise.all([
    client.presenceUpsertV3Cluster(write.userKey, write.bucketKey, ...args),
    client.presenceRecordV1(
      keys.connectionKey(connectionId),
      owner,
      internals.durations.ttlMs,
      deadline,
    ),
  ])) as [number | unknown[], [number, (string | null)?]];
  const evicted =
    Array.isArray(reply) && reply[0] === 0 ? ((reply[2] as string[] | undefined) ?? []) : [];
  const previous = record[0] === 1 ? (record[1] ?? null) : null;
  const moved = previous !== null && previous !== owner ? keys.parseOwner(previous) : undefined;
  await Promise.all([
    // Records of evicted connections live in other slots: drop them if still this user's.
    ...evicted.map((id) => client.presenceDeleteIfEqualV1(keys.connectionKey(id), owner)),
    // The connection id belonged to another user (rare): detach it there.
    moved === undefined
      ? undefined
      : client.presenceDetachV2(
          keys.userKey(moved.userId, moved.bucket),
          keys.bucketKey(moved.bucket),
          connectionId,
          moved.userId,
          '',
          offlineArg(internals, now),
          keys.base,
          moved.bucket,
        ),
  ]);
  return reply;
}

/**
 * removeConnection: one script on a single node; on a cluster, where a connection id alone cannot
 * name its user's slot, the owner is read first, then the user-slot script and the conditional
 * delete of the record run in parallel.
 */
export async function remove(
  internals: StoreInternals,
  limits: PresenceLimits,
  connectionId: string,
  options: RemoveOptions,
): Promise<RemovedConnection | undefined> {
  if (!isValid(() => assertConnectionId(connectionId, limits))) return undefined;
  const now = options.now === undefined ? Date.now() : assertTime(options.now, 'now');
  const activity = options.userAction === true ? String(now) : '';
  const { keys } = internals;
  const client = internals.client();
  const recordKey = keys.connectionKey(connectionId);
  try {
    if (!internals.isCluster()) {
      const reply = (await client.presenceRemoveV2(
        recordKey,
        connectionId,
        keys.base,
        activity,
        offlineArg(internals, now),
      )) as [string, number, string?, string?] | null;
      if (!reply) return undefined;
      const [userId, offline, last, claim] = reply;
      return removed(userId, offline === 1, last, claim);
    }
    const value = await client.get(recordKey);
    const owner = value === null ? undefined : keys.parseOwner(value);
    if (owner === undefined) return undefined;
    const [reply] = await Promise.all([
      client.presenceDetachV2(
        keys.userKey(owner.userId, owner.bucket),
        keys.bucketKey(owner.bucket),
        connectionId,
        owner.userId,
        activity,
        offlineArg(internals, now),
        keys.base,
        owner.bucket,
      ),
      client.presenceDeleteIfEqualV1(recordKey, value as string),
    ]);
    const [state, last, claim] = reply as [number, string?, string?];
    // -1: a concurrent remove or sweep detached it first and reports it; this call found nothing.
    return state === -1 ? undefined : removed(owner.userId, state === 1, last, claim);
  } catch (error) {
    throw unavailable('removeConnection', error);
  }
}

function removed(
  userId: string,
  offline: boolean,
  last: string | undefined,
  claim: string | undefined,
): RemovedConnection {
  if (!offline || last === undefined || claim === undefined)
    return { userId, userOffline: offline };
  return { userId, userOffline: true, announcement: { userId, lastActivity: Number(last), claim } };
}
