import type { Announcer, SweepScope } from './announcer.js';
import type { PartitionMark } from './ports.js';
import { reconcileLostPartitions } from './reconcile.js';
import {
  type AnnounceOutcome,
  addOutcome,
  type GoingOffline,
  noAnnouncement,
  type ServiceContext,
} from './service-context.js';
import type { SweepOptions, SweepReport } from './service-results.js';

/** Fewest stale connections that count as a mass timeout, whatever their share. */
const MASS_TIMEOUT_MIN_STALE = 100;

/** What the sweep markers say about this run. */
interface Recovery {
  readonly cutoff: number;
  readonly holdUntil: number | undefined;
  readonly lost: number;
  readonly reconcile: readonly PartitionMark[];
}

/** Mutable totals of one run. */
interface Totals {
  expired: number;
  offline: number;
  closed: number;
  batches: number;
  drained: number;
  reconciled: number;
  staleShare: number | undefined;
  massTimeout: boolean;
  readonly announce: AnnounceOutcome;
}

/**
 * The timeout sweep, one run at a time:
 * 1. read and refresh the store's partition markers: after an outage (no sweep reached the store for
 *    longer than `timeoutMs - heartbeatIntervalMs`) or data loss, hold the cutoff for
 *    `recoveryHoldMs` so that only connections already stale before it are removed;
 * 2. drain the outbox: claim the offline transitions that earlier runs or operations could not
 *    announce (past their lease) and announce them;
 * 3. in rounds, remove stale connections batch by batch (until none is left, the deadline passes or
 *    `sweepAnnounceAfter` users went offline), then announce those users (acknowledging each one's
 *    outbox entry) and, side by side, close the stale sockets;
 * 4. once `reconcileAfterMs` after a data loss, tell live users about friends of the lost
 *    partitions who are not online ({@link reconcileLostPartitions}).
 */
export class Sweeper {
  readonly #ctx: ServiceContext;
  readonly #announcer: Announcer;

  constructor(ctx: ServiceContext, announcer: Announcer) {
    this.#ctx = ctx;
    this.#announcer = announcer;
  }

  async run(options: SweepOptions = {}): Promise<SweepReport> {
    const { clock, log } = this.#ctx;
    const beforeDeadline = () => options.deadline === undefined || clock.now() < options.deadline;
    const recovery = await this.#recover(clock.now());
    const cutoff = recovery.cutoff;
    const totals: Totals = {
      expired: 0,
      offline: 0,
      closed: 0,
      batches: 0,
      drained: 0,
      reconciled: 0,
      staleShare: undefined,
      massTimeout: false,
      announce: noAnnouncement(),
    };
    const drainDone = await this.#drain(cutoff, beforeDeadline, totals);
    const sweepDone = await this.#rounds(cutoff, beforeDeadline, totals);
    let reconcileDone = true;
    if (recovery.reconcile.length > 0 && beforeDeadline()) {
      const result = await reconcileLostPartitions(
        this.#ctx,
        this.#announcer,
        recovery.reconcile,
        cutoff,
        beforeDeadline,
      );
      totals.reconciled = result.sent;
      reconcileDone = result.done;
    } else if (recovery.reconcile.length > 0) {
      reconcileDone = false;
    }
    const { announce, ...counts } = totals;
    const report: SweepReport = {
      cutoff,
      expired: counts.expired,
      offline: counts.offline,
      notified: announce.sent + counts.reconciled,
      closed: counts.closed,
      batches: counts.batches,
      done: drainDone && sweepDone && reconcileDone,
      announced: announce.announced,
      deferred: announce.deferred,
      drained: counts.drained,
      ...(recovery.holdUntil === undefined ? {} : { hold: { until: recovery.holdUntil } }),
      lostPartitions: recovery.lost,
      reconciled: counts.reconciled,
      ...(counts.staleShare === undefined ? {} : { staleShare: counts.staleShare }),
      massTimeout: counts.massTimeout,
      activityFailures: announce.activityFailures,
    };
    log.info({ op: 'sweep', ...report }, 'swept');
    return report;
  }

  /** Reads the markers: the cutoff to use (held after an outage) and what to reconcile. */
  async #recover(now: number): Promise<Recovery> {
    const { markers, calls, settings, log } = this.#ctx;
    let cutoff = now - settings.timeoutMs;
    if (markers === undefined) return { cutoff, holdUntil: undefined, lost: 0, reconcile: [] };
    const gapMs = settings.timeoutMs - settings.heartbeatIntervalMs;
    const marks = await calls.run('markSweep', (deadline) =>
      markers.markSweep(now, gapMs, deadline === undefined ? {} : { deadline }),
    );
    let holdUntil: number | undefined;
    let gapsNow = 0;
    for (const { gap } of marks) {
      if (gap === undefined || gap.to + settings.recoveryHoldMs <= now) continue;
      cutoff = Math.min(cutoff, gap.from - settings.timeoutMs);
      holdUntil = Math.max(holdUntil ?? 0, gap.to + settings.recoveryHoldMs);
      if (gap.to === now) gapsNow += 1;
    }
    const lost = marks.filter((mark) => mark.lost).length;
    if (lost > 0) {
      log.warn(
        { op: 'sweep', lostPartitions: lost, partitions: marks.length },
        'store partitions lost their data: holding the cutoff, reconciling friends later',
      );
    } else if (gapsNow > 0) {
      log.warn(
        { op: 'sweep', partitions: gapsNow, holdUntil },
        'no sweep reached the store for longer than the timeout allows: holding the cutoff',
      );
    }
    const reconcile = marks.filter(
      (mark) => mark.reconcileFrom !== undefined && now >= mark.epoch + settings.reconcileAfterMs,
    );
    return { cutoff, holdUntil, lost, reconcile };
  }

  /** Claims and announces outbox entries past their lease; false when the deadline cut it short. */
  async #drain(cutoff: number, beforeDeadline: () => boolean, totals: Totals): Promise<boolean> {
    const { outbox, calls, clock, settings } = this.#ctx;
    if (outbox === undefined) return true;
    const scope: SweepScope = { seenSince: cutoff, offlineInRun: new Set() };
    while (totals.drained < settings.announceAfter) {
      if (!beforeDeadline()) return false;
      const entries = await calls.run('claimOutbox', () =>
        outbox.claimOutbox(clock.now(), settings.batchSize),
      );
      if (entries.length === 0) return true;
      totals.drained += entries.length;
      const outcome = await this.#announcer.announce(
        entries.map((entry) => ({ userId: entry.userId, entry })),
        scope,
      );
      addOutcome(totals.announce, outcome);
      // A backend still failing: leave the rest for the next run rather than claim it all in vain.
      if (outcome.deferred > 0 || entries.length < settings.batchSize) return true;
    }
    return true;
  }

  /** The removal rounds; false when the deadline left stale connections behind. */
  async #rounds(cutoff: number, beforeDeadline: () => boolean, totals: Totals): Promise<boolean> {
    const { store, calls, clock, settings } = this.#ctx;
    const offlineInRun = new Set<string>();
    const scope: SweepScope = { seenSince: cutoff, offlineInRun };
    let more = true;
    let first = true;
    while (more && beforeDeadline()) {
      const expired: string[] = [];
      const offline: GoingOffline[] = [];
      while (more && beforeDeadline() && offline.length < settings.announceAfter) {
        const batch = await calls.run('sweep', () =>
          store.sweep(cutoff, settings.batchSize, { now: clock.now() }),
        );
        if (first && batch.counts !== undefined) this.#share(batch.counts, totals);
        first = false;
        totals.batches += 1;
        more = batch.more;
        for (const ref of batch.expired) expired.push(ref.connectionId);
        const entries = new Map((batch.announcements ?? []).map((e) => [e.userId, e]));
        for (const userId of batch.offline) {
          const entry = entries.get(userId);
          offline.push(entry === undefined ? { userId } : { userId, entry });
          offlineInRun.add(userId);
        }
      }
      totals.expired += expired.length;
      totals.offline += offline.length;
      await this.#announceAndClose(offline, expired, scope, totals);
    }
    return !more;
  }

  /**
   * Announces one round's users and closes its stale sockets. In a mass timeout (at least a batch
   * offline, fewer than half as many live connections) the friends of the live users are read
   * instead, then the sockets only closed. Otherwise chunk k announces users [kB, (k+1)B) and closes
   * sockets [kB, (k+1)B) side by side (the friend-graph query waits on the database while the closes
   * use the CPU), two chunks at a time.
   */
  async #announceAndClose(
    offline: readonly GoingOffline[],
    expired: readonly string[],
    scope: SweepScope,
    totals: Totals,
  ): Promise<void> {
    const { store, calls, notifier, settings } = this.#ctx;
    const size = settings.batchSize;
    const liveUsers = store.liveUsers?.bind(store);
    const live =
      offline.length >= size && liveUsers !== undefined
        ? await calls.run('liveUsers', () =>
            liveUsers(scope.seenSince, Math.floor(offline.length / 2)),
          )
        : undefined;
    if (live !== undefined) {
      addOutcome(totals.announce, await this.#announcer.announceToLive(offline, live, scope));
    }
    const announcing = live === undefined ? offline : [];
    const chunks = Math.ceil(Math.max(announcing.length, expired.length) / size);
    let next = 0;
    const lane = async () => {
      for (let k = next++; k < chunks; k = next++) {
        const users = announcing.slice(k * size, (k + 1) * size);
        const sockets = expired.slice(k * size, (k + 1) * size);
        const [outcome, report] = await Promise.all([
          users.length > 0 ? this.#announcer.announce(users, scope) : undefined,
          sockets.length > 0 ? notifier.close(sockets) : undefined,
        ]);
        if (outcome !== undefined) addOutcome(totals.announce, outcome);
        totals.closed += report?.delivered.length ?? 0;
      }
    };
    await Promise.all([lane(), lane()]);
  }

  /** Records the share of connections stale at the run's start; warns on a mass timeout. */
  #share(counts: { stale: number; total: number }, totals: Totals): void {
    if (counts.total <= 0) return;
    totals.staleShare = counts.stale / counts.total;
    totals.massTimeout =
      counts.stale >= MASS_TIMEOUT_MIN_STALE &&
      totals.staleShare >= this.#ctx.settings.massTimeoutShare;
    if (totals.massTimeout) {
      this.#ctx.log.warn(
        { op: 'sweep', stale: counts.stale, total: counts.total, share: totals.staleShare },
        'mass timeout: an unusually large share of connections is stale at once',
      );
    }
  }
}
