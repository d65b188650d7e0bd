import type { Announcer } from './announcer.js';
import { InvalidInputError } from './errors.js';
import type { NotifyReport } from './ports.js';
import { timeoutFrame, updateFrame } from './presence-view.js';
import { type ServiceContext, without } from './service-context.js';

/**
 * A friendship between `a` and `b` was accepted or removed in the user service. Forgets what the
 * graph cached about both (`graph.invalidate`), then reads whether they are friends now. No longer
 * friends: each side's live connections get a `presence-timeout` for the other (with `lastSeenAt:
 * null`: the last seen is for friends only), so the ex-friend's view drops them at once; later
 * frames of either no longer reach the other. Friends now: nothing is sent; the next frame of
 * either reaches the other (the frame fingerprint covers the friend list), and a client sees the
 * new friend's presence at its next `GET /presence`.
 * @returns the `presence-timeout` frames delivered
 */
export async function friendshipChanged(
  ctx: ServiceContext,
  announcer: Announcer,
  a: string,
  b: string,
): Promise<number> {
  if (a === b) throw new InvalidInputError('a friendship needs two different user ids');
  const { graph, store, calls, notifier, log } = ctx;
  await graph.invalidate?.([a, b]);
  if (await graph.areFriends(a, b)) {
    log.info({ op: 'friendship-changed', friends: true }, 'friend cache invalidated');
    return 0;
  }
  const connections = await calls.run('connectionsOf', () => store.connectionsOf([a, b]));
  const sends: Array<Promise<NotifyReport>> = [];
  for (const [to, about] of [
    [a, b],
    [b, a],
  ] as const) {
    const targets = connections.get(to) ?? [];
    if (targets.length > 0) sends.push(notifier.send(targets, timeoutFrame(about, null)));
  }
  let sent = 0;
  for (const report of await Promise.all(sends)) {
    sent += report.delivered.length;
    await announcer.dropGone(report);
  }
  log.info({ op: 'friendship-changed', friends: false, notified: sent }, 'ex-friends told');
  return sent;
}

/**
 * A user's sharing settings changed in the user service. Forgets what the graph cached about them
 * and, when they are online, sends their frame again under the new rule to their own connections
 * and online friends: a page or latest page the user no longer shares leaves the friends' views at
 * once rather than at their next update. (The next update is sent too: the settings are part of
 * its fingerprint.)
 * @returns the `update-presence` frames delivered (0 when the user is offline)
 */
export async function sharingSettingsChanged(
  ctx: ServiceContext,
  announcer: Announcer,
  userId: string,
): Promise<number> {
  const { graph, store, calls, notifier, log } = ctx;
  await graph.invalidate?.([userId]);
  const [read, records] = await Promise.all([
    graph.friendsAndSettingsOf(userId),
    calls.run('presenceOf', () => store.presenceOf([userId])),
  ]);
  const record = records.get(userId);
  if (record === undefined) {
    log.info({ op: 'sharing-settings-changed', userId, online: false }, 'friend cache invalidated');
    return 0;
  }
  const frame = updateFrame(userId, record, read.settings);
  const connections = await calls.run('connectionsOf', () =>
    store.connectionsOf([userId, ...without(read.friends, userId)]),
  );
  const report = await notifier.send([...connections.values()].flat(), frame);
  await announcer.dropGone(report);
  log.info(
    { op: 'sharing-settings-changed', userId, online: true, notified: report.delivered.length },
    'frame sent again under the new rule',
  );
  return report.delivered.length;
}
