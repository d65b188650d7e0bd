import type { FriendGraph, PresenceStore } from '@presence/core';

/** Runs one port call: `method` names it (for metrics, traces, errors), `run` makes it on the port. */
export type PortCall<P> = <R>(method: string, run: (port: P) => Promise<R>) => Promise<R>;

/**
 * A {@link PresenceStore} whose every call goes through `call`: the one listing of the store's
 * methods that the lazy build, credential rotation, the deadline and the metrics all share. A new
 * store method is a new line here (the compiler asks for it).
 */
export function storeVia(
  call: PortCall<PresenceStore>,
  close?: () => Promise<void>,
): PresenceStore {
  return {
    addConnection: (ref, now) => call('addConnection', (s) => s.addConnection(ref, now)),
    removeConnection: (id) => call('removeConnection', (s) => s.removeConnection(id)),
    touch: (ref, now) => call('touch', (s) => s.touch(ref, now)),
    setPage: (ref, page, shared, now) => call('setPage', (s) => s.setPage(ref, page, shared, now)),
    userOfConnection: (id) => call('userOfConnection', (s) => s.userOfConnection(id)),
    connectionsOf: (ids, seenSince) =>
      call('connectionsOf', (s) => s.connectionsOf(ids, seenSince)),
    presenceOf: (ids) => call('presenceOf', (s) => s.presenceOf(ids)),
    sweep: (cutoff, limit) => call('sweep', (s) => s.sweep(cutoff, limit)),
    liveUsers: (seenSince, limit) =>
      call('liveUsers', async (s) => s.liveUsers?.(seenSince, limit)),
    ...(close === undefined ? {} : { close }),
  };
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
    ...(close === undefined ? {} : { close }),
  };
}
