import {
  ActivityRecorder,
  type EraseActivityOptions,
  type ListActivityOptions,
} from './activity.js';
import type { ActivityPage } from './activity-log.js';
import { Announcer } from './announcer.js';
import { systemClock } from './clock.js';
import { InvalidInputError, PresenceError } from './errors.js';
import { getPresence, getUserPresence } from './get-presence.js';
import { friendshipChanged, sharingSettingsChanged } from './graph-changes.js';
import { assertConnectionId, assertUserId, DEFAULT_LIMITS, type PresenceLimits } from './limits.js';
import { type ConnectionRef, HIDDEN_PAGE, type Page } from './model.js';
import { isLastSeenSource, isOfflineOutbox, isSweepMarkers } from './ports.js';
import { errorFrame, type GetPresenceResponse, parseClientFrame } from './schemas.js';
import type { ServiceContext } from './service-context.js';
import { type PresenceServiceOptions, resolveSettings } from './service-options.js';
import type {
  ConnectResult,
  DisconnectResult,
  FrameOutcome,
  HeartbeatResult,
  SweepOptions,
  SweepReport,
  UpdatePresenceResult,
} from './service-results.js';
import { closeEvicted, evictedField, frameWrite, onlineEntries } from './service-writes.js';
import { StoreCalls } from './store-calls.js';
import { Sweeper } from './sweep.js';
import { updatePresence } from './update-presence.js';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The seven presence operations over the ports. The only place that enforces the invariants of
 * DESIGN.md: visibility to accepted friends only, online while any connection is live, every
 * offline transition announced at least once (through the store's outbox), typed errors for bad
 * input before any write, and no half-applied write after a store timeout (`storeTimeoutMs`).
 */
export class PresenceService {
  /** A connection silent for longer than this (ms) is swept. */
  readonly timeoutMs: number;
  /** The input limits in force. */
  readonly limits: PresenceLimits;
  readonly #ctx: ServiceContext;
  readonly #announcer: Announcer;
  readonly #sweeper: Sweeper;

  constructor(options: PresenceServiceOptions) {
    const settings = resolveSettings(options);
    const clock = options.clock ?? systemClock;
    const outbox = options.outbox ?? (isOfflineOutbox(options.store) ? options.store : undefined);
    const markers = options.markers ?? (isSweepMarkers(options.store) ? options.store : undefined);
    const lastSeen =
      options.lastSeen ?? (isLastSeenSource(options.store) ? options.store : undefined);
    const log = options.logger ?? silentLogger;
    this.#ctx = {
      store: options.store,
      calls: new StoreCalls(clock, settings.storeTimeoutMs, settings.storeClockSkewMs),
      graph: options.graph,
      notifier: options.notifier,
      clock,
      log,
      outbox,
      markers,
      lastSeen,
      activity: new ActivityRecorder(options.activityLog, log),
      settings,
    };
    this.timeoutMs = settings.timeoutMs;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#announcer = new Announcer(this.#ctx);
    this.#sweeper = new Sweeper(this.#ctx, this.#announcer);
  }

  /**
   * `$connect`: registers the connection; the user is online with a hidden page until the first
   * update. Beyond `maxConnectionsPerUser`, the user's least recently seen connections are closed.
   * A user who came online gets an `online` activity (when an activity log is set).
   * @throws StoreUnavailableError when the store failed or did not answer within `storeTimeoutMs`:
   *   the connection is then not registered, and will not be later
   */
  async connect(ref: ConnectionRef): Promise<ConnectResult> {
    const conn = this.#ref(ref);
    const { store, calls, clock, settings, log } = this.#ctx;
    const now = clock.now();
    const result = await calls.run(
      'addConnection',
      (deadline) =>
        store.addConnection(conn, now, {
          maxConnections: settings.maxConnections,
          ...(deadline === undefined ? {} : { deadline }),
        }),
      () => {
        // Given up on: the write may still have run in time with its reply delayed. Undo it; on one
        // connection to the store this queues behind the add. The socket is refused anyway.
        store.removeConnection(conn.connectionId, { now }).catch((error: unknown) => {
          log.warn({ op: 'connect', code: (error as { code?: string }).code }, 'undo failed');
        });
      },
    );
    const [evicted, activityFailures] = await Promise.all([
      closeEvicted(this.#ctx, 'connect', conn.userId, result),
      this.#ctx.activity.record('connect', onlineEntries(conn.userId, now, result)),
    ]);
    const cameOnline = result.cameOnline === true;
    log.info({ op: 'connect', userId: conn.userId, cameOnline }, 'connected');
    return { cameOnline, activityFailures, ...evictedField(evicted) };
  }

  /**
   * `heartbeat` frame: refreshes last-seen, re-registering a connection the store no longer knows.
   * @throws RateLimitedError when the connection's frame rate limit refused it (nothing changed)
   */
  async heartbeat(ref: ConnectionRef): Promise<HeartbeatResult> {
    const conn = this.#ref(ref);
    const { store, clock } = this.#ctx;
    const now = clock.now();
    const result = await frameWrite(
      this.#ctx,
      'touch',
      (at, options) => store.touch(conn, at, options),
      { now },
    );
    if (!result.wasRegistered) {
      this.#ctx.log.info({ op: 'heartbeat', userId: conn.userId }, 'connection re-registered');
    }
    const [evicted, activityFailures] = await Promise.all([
      closeEvicted(this.#ctx, 'heartbeat', conn.userId, result),
      this.#ctx.activity.record('heartbeat', onlineEntries(conn.userId, now, result)),
    ]);
    return {
      wasRegistered: result.wasRegistered,
      cameOnline: result.cameOnline === true,
      activityFailures,
      ...evictedField(evicted),
    };
  }

  /**
   * `update-presence` frame: stores the page (hidden when the URL is empty or not http(s), or when
   * the user's sharing settings do not allow its domain), moves the latest shared page, and sends
   * `update-presence` to the user's own connections and online accepted friends, unless every one
   * of them already holds that exact frame (`unchanged`: the skip rule of the README). A shared
   * page that is sent is appended to the activity log beside the posts.
   * @throws InvalidInputError for a bad id, a URL or title over the limits; nothing is written
   * @throws RateLimitedError when the connection's frame rate limit refused it (nothing changed)
   */
  async updatePresence(ref: ConnectionRef, input: Page): Promise<UpdatePresenceResult> {
    return updatePresence(this.#ctx, this.#announcer, this.#ref(ref), this.#page(input));
  }

  /**
   * Parses and runs one raw client frame. Bad frames (not JSON, too large, unknown action, missing or
   * over-long fields) and rate-limited ones change nothing and come back as a JSON error frame to
   * send to the client.
   * @throws a 503-class PresenceError when a backend is down
   */
  async handleFrame(ref: ConnectionRef, raw: string): Promise<FrameOutcome> {
    try {
      const frame = parseClientFrame(raw, this.limits);
      if (frame.action === 'heartbeat') {
        return { action: 'heartbeat', result: await this.heartbeat(ref) };
      }
      const result = await this.updatePresence(ref, frame);
      return { action: 'update-presence', result };
    } catch (error) {
      if (
        PresenceError.isInstance(error) &&
        (error.code === 'invalid_frame' ||
          error.code === 'invalid_input' ||
          error.code === 'rate_limited')
      ) {
        this.#ctx.log.info(
          { op: 'frame', userId: ref?.userId, code: error.code },
          'frame rejected',
        );
        return { action: 'rejected', reply: errorFrame(error.code, error.message) };
      }
      throw error;
    }
  }

  /**
   * `$disconnect`: removes the connection; the user's last one takes them offline and tells friends.
   * The removal records the announcement in the store's outbox in the same step, so when the friend
   * graph, the store or the gateway fails while announcing, the disconnect still succeeds
   * (`deferred: true`) and the next sweep announces: `$disconnect` answers are ignored by API Gateway
   * and never retried, so a 503 would only lose the announcement. Without an outbox the failure is
   * thrown (503). An explicit disconnect counts as the user's last activity.
   * @throws StoreUnavailableError when the removal itself failed (nothing was removed)
   */
  async disconnect(connectionId: string): Promise<DisconnectResult> {
    const id = assertConnectionId(connectionId, this.limits);
    const { store, calls, clock, log } = this.#ctx;
    const removed = await calls.run('removeConnection', () =>
      store.removeConnection(id, { now: clock.now(), userAction: true }),
    );
    if (removed === undefined) {
      return {
        userId: undefined,
        userOffline: false,
        notified: 0,
        deferred: false,
        activityFailures: 0,
      };
    }
    const outcome = removed.userOffline
      ? await this.#announcer.announce([
          removed.announcement === undefined
            ? { userId: removed.userId }
            : { userId: removed.userId, entry: removed.announcement },
        ])
      : undefined;
    const result: DisconnectResult = {
      userId: removed.userId,
      userOffline: removed.userOffline,
      notified: outcome?.sent ?? 0,
      deferred: (outcome?.deferred ?? 0) > 0,
      activityFailures: outcome?.activityFailures ?? 0,
    };
    log.info({ op: 'disconnect', ...result }, 'disconnected');
    return result;
  }

  /**
   * Timeout sweep (see {@link Sweeper}): holds the cutoff after an outage or data loss, drains the
   * outbox, removes connections silent for longer than the timeout in rounds and announces those
   * users while closing their sockets, then reconciles lost partitions when due. A connection
   * touched after the cutoff is never removed (the store's contract).
   */
  async sweep(options: SweepOptions = {}): Promise<SweepReport> {
    return this.#sweeper.run(options);
  }

  /**
   * `GET /presence`: the caller's and their accepted friends' presence, with every profile. Pages
   * are shown under their owner's current sharing rule; offline users carry `lastSeenAt`.
   * @throws TooManyFriendsError when the caller has more than `maxFriends` friends (413)
   */
  async getPresence(userId: string): Promise<GetPresenceResponse> {
    return getPresence(this.#ctx, assertUserId(userId, 'userId', this.limits));
  }

  /**
   * `GET /presence/{userId}`: the target's current page `{url, title}` under their current sharing
   * rule (the caller's own: as stored, without a graph read), `null` when offline.
   * @throws ForbiddenError when the target is neither the caller nor an accepted friend
   */
  async getUserPresence(callerId: string, targetId: string): Promise<Page | null> {
    const caller = assertUserId(callerId, 'userId', this.limits);
    const target = assertUserId(targetId, 'target userId', this.limits);
    return getUserPresence(this.#ctx, caller, target);
  }

  /**
   * A friendship between `a` and `b` was accepted or removed (the user service calls it, or the
   * PostgreSQL trigger's listener): forgets both users in the friend cache and, when they are no
   * longer friends, sends each side's connections a `presence-timeout` for the other.
   * @throws InvalidInputError for a bad id or `a === b`
   * @throws a 503-class error when the cache or a backend is unavailable: retry the call
   */
  async friendshipChanged(a: string, b: string): Promise<void> {
    const first = assertUserId(a, 'a', this.limits);
    const second = assertUserId(b, 'b', this.limits);
    await friendshipChanged(this.#ctx, this.#announcer, first, second);
  }

  /**
   * A user's sharing settings changed: forgets them in the friend cache and, when they are online,
   * sends their frame again under the new rule (a page they no longer share leaves their friends'
   * views at once).
   * @throws InvalidInputError for a bad id
   * @throws a 503-class error when the cache or a backend is unavailable: retry the call
   */
  async sharingSettingsChanged(userId: string): Promise<void> {
    const id = assertUserId(userId, 'userId', this.limits);
    await sharingSettingsChanged(this.#ctx, this.#announcer, id);
  }

  /**
   * `GET /activity`: one page of the caller's own activity history, newest first.
   * @throws InvalidInputError for a bad id, limit or cursor
   * @throws NotFoundError when no activity log is configured (404)
   * @throws ForbiddenError when `options.userId` names another user (403)
   */
  async listActivity(callerId: string, options: ListActivityOptions = {}): Promise<ActivityPage> {
    return this.#ctx.activity.list(callerId, options, this.limits);
  }

  /**
   * `DELETE /activity`: erases the caller's whole activity history (idempotent).
   * @throws NotFoundError / ForbiddenError as {@link listActivity}
   */
  async eraseActivity(callerId: string, options: EraseActivityOptions = {}): Promise<void> {
    await this.#ctx.activity.erase(callerId, options, this.limits);
  }

  #ref(ref: ConnectionRef): ConnectionRef {
    return {
      userId: assertUserId(ref?.userId, 'userId', this.limits),
      connectionId: assertConnectionId(ref?.connectionId, this.limits),
    };
  }

  #page(input: Page): Page {
    const { url, title } = input ?? {};
    if (typeof url !== 'string' || typeof title !== 'string') {
      throw new InvalidInputError('url and title must be strings');
    }
    if (url.length > this.limits.maxUrlLength) {
      throw new InvalidInputError(`url is longer than ${this.limits.maxUrlLength} characters`);
    }
    if (title.length > this.limits.maxTitleLength) {
      throw new InvalidInputError(`title is longer than ${this.limits.maxTitleLength} characters`);
    }
    return isWebUrl(url) ? { url, title } : HIDDEN_PAGE;
  }
}

/** Creates the presence service over the given ports. */
export function createPresenceService(options: PresenceServiceOptions): PresenceService {
  return new PresenceService(options);
}

function isWebUrl(url: string): boolean {
  if (url === '') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
