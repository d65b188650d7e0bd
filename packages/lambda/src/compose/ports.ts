import type {
  DurablePresenceStore,
  FriendGraph,
  LastSeenSource,
  OfflineOutbox,
  PresenceStore,
  SweepMarkers,
} from '@presence/core';
import { isLastSeenSource, isOfflineOutbox, isSweepMarkers } from '@presence/core';

/**
 * The deadline the service gives the store's writes (`storeTimeoutMs`) in a function. The service
 * gives up 250 ms (its clock skew allowance) after it, at 1.75 s: before the Redis client's own
 * command timeout (2 s) and the store call's bound (3 s), so it is always the service that gives up
 * on a write, compensating a `$connect`; and Redis refuses a write it runs after the deadline. A
 * `$connect` or update answered 503 never lands later.
 */
export const STORE_WRITE_DEADLINE_MS = 1500;

/** Runs one port call: `method` names it (for metrics, traces, errors), `run` makes it on the port. */
export type PortCall<P> = <R>(method: string, run: (port: P) => Promise<R>) => Promise<R>;

/**
 * What a store built later (on first use) will implement besides {@link PresenceStore}, with the
 * synchronous facts the service reads before any call: the outbox, the sweep markers' partitions and
 * the last seen's retention. A port the store lacks is left out, and the service then runs without
 * it (an announcement tried once, no outage detection, `lastSeenAt: null`).
 */
export interface StoreShape {
  /** Releases the store's client. */
  readonly close?: () => Promise<void>;
  /** The store records offline transitions ({@link OfflineOutbox}). */
  readonly outbox?: boolean;
  /** The store keeps sweep markers ({@link SweepMarkers}) over these partitions. */
  readonly markers?: Pick<SweepMarkers, 'partitions' | 'partitionOf'>;
  /** The store keeps last seen ({@link LastSeenSource}) this long (ms). */
  readonly lastSeen?: Pick<LastSeenSource, 'lastSeenRetentionMs'>;
}

/** The shape of a store already built: the ports it implements, read off the object itself. */
export function shapeOf(store: PresenceStore): StoreShape {
  return {
    ...(store.close === undefined ? {} : { close: store.close.bind(store) }),
    outbox: isOfflineOutbox(store),
    ...(isSweepMarkers(store)
      ? { markers: { partitions: store.partitions, partitionOf: (id) => store.partitionOf(id) } }
      : {}),
    ...(isLastSeenSource(store)
      ? { lastSeen: { lastSeenRetentionMs: store.lastSeenRetentionMs } }
      : {}),
  };
}

/**
 * A {@link PresenceStore} whose every call goes through `call`: the one listing of the store's
 * methods that the lazy build, credential rotation, the deadline and the metrics all share. Every
 * argument is forwarded (the options carry the deadlines that keep a write the caller gave up on from
 * landing later), and so is every durable port `shape` names. A new store method is a new line here.
 */
export function storeVia(
  call: PortCall<PresenceStore>,
  shape: StoreShape = {},
): PresenceStore & Partial<DurablePresenceStore> {
  const durable = call as unknown as PortCall<DurablePresenceStore>;
  const store: PresenceStore = {
    addConnection: (ref, now, options) =>
      call('addConnection', (s) => s.addConnection(ref, now, options)),
    removeConnection: (id, options) =>
      call('removeConnection', (s) => s.removeConnection(id, options)),
    touch: (ref, now, options) => call('touch', (s) => s.touch(ref, now, options)),
    setPage: (ref, page, shared, now, options) =>
      call('setPage', (s) => s.setPage(ref, page, shared, now, options)),
    userOfConnection: (id) => call('userOfConnection', (s) => s.userOfConnection(id)),
    connectionsOf: (ids, seenSince) =>
      call('connectionsOf', (s) => s.connectionsOf(ids, seenSince)),
    presenceOf: (ids) => call('presenceOf', (s) => s.presenceOf(ids)),
    sweep: (cutoff, limit, options) => call('sweep', (s) => s.sweep(cutoff, limit, options)),
    liveUsers: (seenSince, limit) =>
      call('liveUsers', async (s) => s.liveUsers?.(seenSince, limit)),
    ...(shape.close === undefined ? {} : { close: shape.close }),
  };
  const outbox: OfflineOutbox | undefined = shape.outbox
    ? {
        claimOutbox: (now, limit) => durable('claimOutbox', (s) => s.claimOutbox(now, limit)),
        ackOutbox: (entries) => durable('ackOutbox', (s) => s.ackOutbox(entries)),
      }
    : undefined;
  const { markers: m, lastSeen: l } = shape;
  const markers: SweepMarkers | undefined =
    m === undefined
      ? undefined
      : {
          partitions: m.partitions,
          partitionOf: (id) => m.partitionOf(id),
          markSweep: (now, gapMs, options) =>
            durable('markSweep', (s) => s.markSweep(now, gapMs, options)),
          markReconciled: (progress) =>
            durable('markReconciled', (s) => s.markReconciled(progress)),
          liveUsersIn: (partition, seenSince) =>
            durable('liveUsersIn', (s) => s.liveUsersIn(partition, seenSince)),
        };
  const lastSeen: LastSeenSource | undefined =
    l === undefined
      ? undefined
      : {
          lastSeenRetentionMs: l.lastSeenRetentionMs,
          lastSeenOf: (ids) => durable('lastSeenOf', (s) => s.lastSeenOf(ids)),
          presenceWithLastSeenOf: (ids) =>
            durable('presenceWithLastSeenOf', (s) => s.presenceWithLastSeenOf(ids)),
        };
  return { ...store, ...outbox, ...markers, ...lastSeen };
}

/** A {@link FriendGraph} whose every call goes through `call` (see {@link storeVia}). */
export function graphVia(call: PortCall<FriendGraph>, close?: () => Promise<void>): FriendGraph {
  return {
    friendsOf: (id) => call('friendsOf', (g) => g.friendsOf(id)),
    friendsOfMany: (ids) => call('friendsOfMany', (g) => g.friendsOfMany(ids)),
    areFriends: (a, b) => call('areFriends', (g) => g.areFriends(a, b)),
    profilesOf: (ids) => call('profilesOf', (g) => g.profilesOf(ids)),
    sharingSettingsOf: (id) => call('sharingSettingsOf', (g) => g.sharingSettingsOf(id)),
    friendsAndSettingsOf: (id) => call('friendsAndSettingsOf', (g) => g.friendsAndSettingsOf(id)),
    friendsWithProfilesOf: (id) =>
      call('friendsWithProfilesOf', (g) => g.friendsWithProfilesOf(id)),
    invalidate: (ids) => call('invalidate', async (g) => g.invalidate?.(ids)),
    ...(close === undefined ? {} : { close }),
  };
}
