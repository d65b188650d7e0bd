import type { ActivityAppend } from './activity-log.js';
import { isUnavailable } from './errors.js';
import type { NotifyReport, OutboxEntry } from './ports.js';
import { lastSeenAt, timeoutFrame } from './presence-view.js';
import {
  type AnnounceOutcome,
  addOutcome,
  type GoingOffline,
  noAnnouncement,
  type ServiceContext,
  without,
} from './service-context.js';

/** How the sweep narrows an announcement. */
export interface SweepScope {
  /** Only friends' connections seen at or after this are sent to (stale ones are being swept). */
  readonly seenSince: number;
  /** Friends the sweep took offline in this run: not read, not told. */
  readonly offlineInRun: ReadonlySet<string>;
}

/** One user's part of an announcement: what was sent, and whether it may be acknowledged. */
interface UserSend {
  readonly user: GoingOffline;
  /** `undefined`: no friend connection to tell; `'online'`: the user came back, nothing is sent. */
  readonly report: NotifyReport | undefined | 'online';
}

/** The sends of one announcement step, and how many of its `offline` appends failed. */
interface Step {
  readonly sends: UserSend[];
  readonly activityFailures: number;
}

/**
 * Tells friends that users went offline (`presence-timeout`) and acknowledges each user's outbox
 * entry once every post to them succeeded or found the connection gone: at least once, never lost.
 * A user who came back online meanwhile is not announced (checked in the same read as the friends'
 * connections, just before sending). A backend failure while announcing defers the rest to the
 * outbox (next sweep) when there is one, and is thrown when there is none.
 *
 * Each frame carries the user's `lastSeenAt` (their last activity from the outbox entry, rounded;
 * `null` without an entry or when the store keeps no last seen), and each user announced gets an
 * `offline` activity at that last activity, appended beside the posts (a retried announcement
 * appends again: at least once).
 */
export class Announcer {
  readonly #ctx: ServiceContext;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /** Announces users who went offline; users that gone connections take offline on the way too. */
  async announce(initial: readonly GoingOffline[], scope?: SweepScope): Promise<AnnounceOutcome> {
    const outcome = noAnnouncement();
    let pending = dedupe(initial);
    while (pending.length > 0) {
      let sent: Step;
      try {
        sent = await this.#send(pending, scope);
      } catch (error) {
        this.#defer(error, pending.length, outcome);
        return outcome;
      }
      const step = this.#settle(sent);
      addOutcome(outcome, step.outcome);
      await this.#ack(step.acks);
      pending = dedupe(await this.#removeGone(step.gone));
    }
    return outcome;
  }

  /**
   * The sweep's announcement in a mass timeout, read from the other side: the friends of the few
   * `live` users, kept when they went offline in this round (friendship is symmetric), so that each
   * offline user is sent to their live friends' connections seen since `scope.seenSince`.
   */
  async announceToLive(
    offline: readonly GoingOffline[],
    live: readonly string[],
    scope: SweepScope,
  ): Promise<AnnounceOutcome> {
    const { graph, store, calls, notifier, settings } = this.#ctx;
    const outcome = noAnnouncement();
    const users = dedupe(offline);
    let sent: Step;
    try {
      const offlineNow = new Set(users.map((u) => u.userId));
      const liveFriendsOf = new Map<string, string[]>();
      for (let i = 0; i < live.length; i += settings.batchSize) {
        const friendsByUser = await graph.friendsOfMany(live.slice(i, i + settings.batchSize));
        for (const [liveUser, friends] of friendsByUser) {
          for (const friend of friends) {
            if (friend === liveUser || !offlineNow.has(friend)) continue;
            const list = liveFriendsOf.get(friend);
            if (list) list.push(liveUser);
            else liveFriendsOf.set(friend, [liveUser]);
          }
        }
      }
      const recipients = [...new Set([...liveFriendsOf.values()].flat())];
      const read = [...recipients, ...liveFriendsOf.keys()];
      const connections =
        read.length > 0
          ? await calls.run('connectionsOf', () => store.connectionsOf(read, scope.seenSince))
          : new Map<string, string[]>();
      sent = await this.#withAppends(users, () =>
        Promise.all(
          users.map(async (user): Promise<UserSend> => {
            if (connections.has(user.userId)) return { user, report: 'online' };
            const friends = liveFriendsOf.get(user.userId) ?? [];
            const targets = friends.flatMap((friend) => connections.get(friend) ?? []);
            return {
              user,
              report:
                targets.length > 0 ? await notifier.send(targets, this.#frameOf(user)) : undefined,
            };
          }),
        ),
      );
    } catch (error) {
      this.#defer(error, users.length, outcome);
      return outcome;
    }
    const step = this.#settle(sent);
    addOutcome(outcome, step.outcome);
    await this.#ack(step.acks);
    const next = await this.#removeGone(step.gone);
    if (next.length > 0) addOutcome(outcome, await this.announce(next, scope));
    return outcome;
  }

  /**
   * After a send: removes the gone connections and announces users they took offline. Returns the
   * number of gone connections and the `offline` appends that failed on the way.
   */
  async dropGone(report: NotifyReport): Promise<{ gone: number; activityFailures: number }> {
    if (report.gone.length === 0) return { gone: 0, activityFailures: 0 };
    const offline = await this.#removeGone(report.gone);
    const outcome = offline.length > 0 ? await this.announce(offline) : noAnnouncement();
    return { gone: report.gone.length, activityFailures: outcome.activityFailures };
  }

  /** The `presence-timeout` frame of a user going offline, with their rounded last activity. */
  #frameOf(user: GoingOffline) {
    const { lastSeen, settings } = this.#ctx;
    const kept = lastSeen !== undefined && lastSeen.lastSeenRetentionMs > 0;
    return timeoutFrame(
      user.userId,
      kept ? lastSeenAt(user.entry?.lastActivity, settings.lastSeenGranularityMs) : null,
    );
  }

  /** Runs the sends with the users' `offline` appends beside them. */
  async #withAppends(users: readonly GoingOffline[], sends: () => Promise<UserSend[]>) {
    const now = this.#ctx.clock.now();
    const entries = users.map(
      (user): ActivityAppend => ({
        userId: user.userId,
        at: user.entry?.lastActivity ?? now,
        type: 'offline',
      }),
    );
    // record() never rejects: awaiting it after a failed send loses nothing.
    const appending = this.#ctx.activity.record('announce', entries);
    const done = await sends();
    return { sends: done, activityFailures: await appending };
  }

  /** Reads the users' friends and their connections, then sends each user's frame. */
  async #send(pending: readonly GoingOffline[], scope?: SweepScope): Promise<Step> {
    const { graph, store, calls, notifier } = this.#ctx;
    const ids = pending.map((user) => user.userId);
    const friendsByUser = await graph.friendsOfMany(ids);
    const friends = new Set<string>();
    for (const list of friendsByUser.values()) {
      for (const friend of list) if (!scope?.offlineInRun.has(friend)) friends.add(friend);
    }
    // Nobody to tell: no read at all (in a sweep, every friend may have gone offline in the run).
    if (friends.size === 0) {
      return this.#withAppends(pending, async () =>
        pending.map((user) => ({ user, report: undefined })),
      );
    }
    // The users themselves are read too: one who came back online is not announced offline.
    const connections = await calls.run('connectionsOf', () =>
      store.connectionsOf([...new Set([...friends, ...ids])], scope?.seenSince),
    );
    return this.#withAppends(pending, () =>
      Promise.all(
        pending.map(async (user): Promise<UserSend> => {
          if (connections.has(user.userId)) return { user, report: 'online' };
          const targets = without(friendsByUser.get(user.userId) ?? [], user.userId)
            .filter((friend) => !scope?.offlineInRun.has(friend))
            .flatMap((friend) => connections.get(friend) ?? []);
          return {
            user,
            report:
              targets.length > 0 ? await notifier.send(targets, this.#frameOf(user)) : undefined,
          };
        }),
      ),
    );
  }

  /** Counts the sends: a user is announced when no post failed (gone is fine), else deferred. */
  #settle(step: Step): {
    outcome: AnnounceOutcome;
    acks: OutboxEntry[];
    gone: string[];
  } {
    const sends = step.sends;
    const outcome = noAnnouncement();
    outcome.activityFailures = step.activityFailures;
    const acks: OutboxEntry[] = [];
    const gone: string[] = [];
    for (const { user, report } of sends) {
      if (report === 'online') continue;
      if (report !== undefined) {
        outcome.sent += report.delivered.length;
        gone.push(...report.gone);
        if (report.failed.length > 0) {
          outcome.deferred += 1;
          continue;
        }
      }
      outcome.announced += 1;
      if (user.entry !== undefined) acks.push(user.entry);
    }
    if (outcome.deferred > 0) {
      this.#ctx.log.warn(
        { op: 'announce', deferred: outcome.deferred, retried: this.#ctx.outbox !== undefined },
        'presence-timeout posts failed; left to the outbox',
      );
    }
    return { outcome, acks, gone };
  }

  /** A backend failure mid-announcement: defer to the outbox, or throw when there is none. */
  #defer(error: unknown, users: number, outcome: AnnounceOutcome): void {
    if (this.#ctx.outbox === undefined || !isUnavailable(error)) throw error;
    outcome.deferred += users;
    const code = (error as { code?: string }).code;
    this.#ctx.log.warn(
      { op: 'announce', deferred: users, code },
      'announcement deferred to the outbox: a backend is unavailable',
    );
  }

  async #ack(entries: readonly OutboxEntry[]): Promise<void> {
    const { outbox, calls, log } = this.#ctx;
    if (outbox === undefined || entries.length === 0) return;
    try {
      await calls.run('ackOutbox', () => outbox.ackOutbox(entries));
    } catch (error) {
      // Unacknowledged entries are announced again after their lease: a duplicate, never a loss.
      if (!isUnavailable(error)) throw error;
      log.warn({ op: 'announce', unacknowledged: entries.length }, 'outbox acknowledgement failed');
    }
  }

  /** Removes connections the gateway reported gone; returns the users that went offline. */
  async #removeGone(ids: readonly string[]): Promise<GoingOffline[]> {
    const { store, calls, clock, log } = this.#ctx;
    if (ids.length === 0) return [];
    try {
      const removed = await Promise.all(
        [...new Set(ids)].map((id) =>
          calls.run('removeConnection', () => store.removeConnection(id, { now: clock.now() })),
        ),
      );
      return removed.flatMap((r) =>
        r?.userOffline
          ? [
              r.announcement === undefined
                ? { userId: r.userId }
                : { userId: r.userId, entry: r.announcement },
            ]
          : [],
      );
    } catch (error) {
      // Gone sockets left in the store are swept after the timeout and announced then.
      if (!isUnavailable(error)) throw error;
      log.warn({ op: 'announce', gone: ids.length }, 'gone connections could not be removed');
      return [];
    }
  }
}

/** One entry per user (the last one given wins: it carries the newest claim). */
function dedupe(users: readonly GoingOffline[]): GoingOffline[] {
  return [...new Map(users.map((user) => [user.userId, user])).values()];
}
