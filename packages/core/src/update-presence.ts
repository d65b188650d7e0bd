import type { ActivityAppend } from './activity-log.js';
import type { Announcer } from './announcer.js';
import { registrableDomain } from './domain.js';
import { frameFingerprint } from './frame-fingerprint.js';
import { type ConnectionRef, HIDDEN_PAGE, type Page } from './model.js';
import type { NotifyReport } from './ports.js';
import { updateFrame } from './presence-view.js';
import { type ServiceContext, without } from './service-context.js';
import type { UpdatePresenceResult } from './service-results.js';
import { closeEvicted, evictedField, frameWrite, onlineEntries } from './service-writes.js';
import { isShareable } from './sharing.js';

/**
 * `update-presence`: one graph read (the friends and the user's own settings; none on a friend-cache
 * hit), then one store write that also says whether every recipient already holds the resulting
 * frame (the frame fingerprint, see {@link frameFingerprint}). Unchanged: nothing else (no
 * connection read, no post). Changed: the recipients' connections in one read, then the posts, with
 * the activity appends beside them.
 */
export async function updatePresence(
  ctx: ServiceContext,
  announcer: Announcer,
  conn: ConnectionRef,
  candidate: Page,
): Promise<UpdatePresenceResult> {
  const { graph, store, calls, notifier, clock, log, activity } = ctx;
  const { userId } = conn;
  const read = await graph.friendsAndSettingsOf(userId);
  const friends = without(read.friends, userId);
  const settings = read.settings;
  const shared = candidate.url !== '' && isShareable(registrableDomain(candidate.url), settings);
  const page = shared ? candidate : HIDDEN_PAGE;
  const now = clock.now();
  const fingerprint = await frameFingerprint({
    userId,
    page,
    shared,
    settings,
    friends,
    now,
    refreshMs: ctx.settings.frameRefreshMs,
  });
  const stored = await frameWrite(
    ctx,
    'setPage',
    (at, options) => store.setPage(conn, page, shared, at, options),
    fingerprint === undefined ? { now } : { now, frameFingerprint: fingerprint },
  );
  const frame = updateFrame(userId, { page, latestPage: stored.latestPage }, settings);
  const unchanged = stored.unchanged === true;
  const entries: ActivityAppend[] = onlineEntries(userId, now, stored);
  if (shared && !unchanged) entries.push({ userId, at: now, type: 'update-presence', page });
  // Started before the fan-out and awaited after it (a Lambda is frozen once it returns); it never
  // rejects, so it cannot fail the update.
  const appending = activity.record('update-presence', entries);
  if (unchanged) {
    const activityFailures = await appending;
    log.info({ op: 'update-presence', userId, shared, unchanged }, 'presence unchanged');
    return { frame, shared, unchanged, recipients: 0, gone: 0, activityFailures };
  }
  let report: NotifyReport;
  let targets: string[];
  let activityFailures = 0;
  let evicted = 0;
  try {
    const recipients = await calls.run('connectionsOf', () =>
      store.connectionsOf([userId, ...friends]),
    );
    targets = [...recipients.values()].flat();
    [report, evicted] = await Promise.all([
      notifier.send(targets, frame),
      closeEvicted(ctx, 'update-presence', userId, stored),
    ]);
  } finally {
    activityFailures = await appending;
  }
  const dropped = await announcer.dropGone(report);
  activityFailures += dropped.activityFailures;
  log.info(
    {
      op: 'update-presence',
      userId,
      shared,
      unchanged,
      recipients: targets.length,
      gone: dropped.gone,
    },
    'presence updated',
  );
  return {
    frame,
    shared,
    unchanged,
    recipients: targets.length,
    gone: dropped.gone,
    activityFailures,
    ...evictedField(evicted),
  };
}
