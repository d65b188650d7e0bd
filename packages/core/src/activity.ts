import type {
  ActivityAppend,
  ActivityListOptions,
  ActivityLog,
  ActivityPage,
} from './activity-log.js';
import { ForbiddenError, NotFoundError, PresenceError } from './errors.js';
import { assertUserId, type PresenceLimits } from './limits.js';
import type { Logger } from './ports.js';

/** Options of {@link PresenceService.listActivity}: a page of the caller's own history. */
export type ListActivityOptions = ActivityListOptions & {
  /** Whose history: only the caller's own may be read (another id is a {@link ForbiddenError}). */
  readonly userId?: string;
};

/** Options of {@link PresenceService.eraseActivity}. */
export interface EraseActivityOptions {
  /** Whose history: only the caller's own may be erased (another id is a {@link ForbiddenError}). */
  readonly userId?: string;
}

/**
 * The service's side of the activity log: appends that never fail an operation (a failure is a
 * `warn` line with the error code only, and a count the caller puts in its result), and the
 * caller-only reads and erasures.
 */
export class ActivityRecorder {
  readonly #log: ActivityLog | undefined;
  readonly #logger: Logger;

  constructor(log: ActivityLog | undefined, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /** True when an activity log is configured. */
  get enabled(): boolean {
    return this.#log !== undefined;
  }

  /**
   * Appends the entries side by side; resolves to how many failed (never rejects). Run it beside
   * the operation's posts and await both: a Lambda is frozen once its handler returns.
   */
  async record(op: string, entries: readonly ActivityAppend[]): Promise<number> {
    const log = this.#log;
    if (log === undefined || entries.length === 0) return 0;
    const outcomes = await Promise.allSettled(entries.map((entry) => log.append(entry)));
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    if (failed.length > 0) {
      const reason = (failed[0] as PromiseRejectedResult).reason;
      this.#logger.warn(
        {
          op,
          activity: 'append',
          failures: failed.length,
          code: PresenceError.isInstance(reason) ? reason.code : 'internal',
        },
        'activity append failed; the operation went on',
      );
    }
    return failed.length;
  }

  /**
   * One page of the caller's history, newest first.
   * @throws InvalidInputError for a bad id, limit or cursor
   * @throws NotFoundError when no activity log is configured
   * @throws ForbiddenError when `options.userId` is another user
   */
  async list(
    callerId: string,
    options: ListActivityOptions,
    limits: PresenceLimits,
  ): Promise<ActivityPage> {
    const { userId, ...listOptions } = options ?? {};
    const log = this.#own(callerId, userId, limits);
    return log.list(callerId, listOptions);
  }

  /**
   * Erases the caller's whole history (idempotent; call again after a 503).
   * @throws NotFoundError / ForbiddenError as {@link list}
   */
  async erase(callerId: string, options: EraseActivityOptions, limits: PresenceLimits) {
    const log = this.#own(callerId, options?.userId, limits);
    await log.erase(callerId);
  }

  /** The log, once the caller is checked: valid ids (400), a log (404), the caller's own (403). */
  #own(callerId: string, userId: string | undefined, limits: PresenceLimits): ActivityLog {
    const caller = assertUserId(callerId, 'userId', limits);
    const target = userId === undefined ? caller : assertUserId(userId, 'target userId', limits);
    if (this.#log === undefined) throw new NotFoundError('activity history is not enabled');
    if (target !== caller) throw new ForbiddenError('only your own activity history is readable');
    return this.#log;
  }
}
