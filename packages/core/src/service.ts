import { Announcer } from './announcer.js';
import { systemClock } from './clock.js';
import { registrableDomain } from './domain.js';
import { ForbiddenError, InvalidInputError, PresenceError, RateLimitedError } from './errors.js';
import { assertConnectionId, assertUserId, DEFAULT_LIMITS, type PresenceLimits } from './limits.js';
import { type ConnectionRef, HIDDEN_PAGE, type Page, type PageView } from './model.js';
import { type FrameOptions, isOfflineOutbox, isSweepMarkers, type TouchResult } from './ports.js';
import {
  errorFrame,
  type GetPresenceResponse,
  type Presence,
  parseClientFrame,
  type UpdatePresenceServerFrame,
  type UserInfo,
} from './schemas.js';
import { type ServiceContext, without } from './service-context.js';
import {
  type DisconnectResult,
  type FrameOutcome,
  type PresenceServiceOptions,
  resolveSettings,
  type SweepOptions,
  type SweepReport,
  type UpdatePresenceResult,
} from './service-options.js';
import { isShareable } from './sharing.js';
import { StoreCalls } from './store-calls.js';
import { Sweeper } from './sweep.js';

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
    this.#ctx = {
      store: options.store,
      calls: new StoreCalls(clock, settings.storeTimeoutMs, settings.storeClockSkewMs),
      graph: options.graph,
      notifier: options.notifier,
      clock,
      log: options.logger ?? silentLogger,
      outbox,
      markers,
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
   * @throws StoreUnavailableError when the store failed or did not answer within `storeTimeoutMs`:
   *   the connection is then not registered, and will not be later
   */
  async connect(ref: ConnectionRef): Promise<void> {
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
    await this.#closeEvicted('connect', conn.userId, result);
    log.info({ op: 'connect', userId: conn.userId }, 'connected');
  }

  /**
   * `heartbeat` frame: refreshes last-seen, re-registering a connection the store no longer knows.
   * @throws RateLimitedError when the connection's frame rate limit refused it (nothing changed)
   */
  async heartbeat(ref: ConnectionRef): Promise<void> {
    const conn = this.#ref(ref);
    const { store } = this.#ctx;
    const result = await this.#frameWrite('touch', conn, (now, options) =>
      store.touch(conn, now, options),
    );
    if (!result.wasRegistered) {
      this.#ctx.log.info({ op: 'heartbeat', userId: conn.userId }, 'connection re-registered');
    }
    await this.#closeEvicted('heartbeat', conn.userId, result);
  }

  /**
   * `update-presence` frame: stores the page (hidden when the URL is empty or not http(s), or when
   * the user's sharing settings do not allow its domain), moves the latest shared page, and sends
   * `update-presence` to the user's own connections and online accepted friends.
   * @throws InvalidInputError for a bad id, a URL or title over the limits; nothing is written
   * @throws RateLimitedError when the connection's frame rate limit refused it (nothing changed)
   */
  async updatePresence(ref: ConnectionRef, input: Page): Promise<UpdatePresenceResult> {
    const conn = this.#ref(ref);
    const candidate = this.#page(input);
    const { graph, store, calls, notifier, log } = this.#ctx;
    const [friends, settings] = await Promise.all([
      graph.friendsOf(conn.userId),
      candidate.url === '' ? undefined : graph.sharingSettingsOf(conn.userId),
    ]);
    const domain = registrableDomain(candidate.url);
    const shared = candidate.url !== '' && isShareable(domain, settings);
    const page = shared ? candidate : HIDDEN_PAGE;
    const stored = await this.#frameWrite('setPage', conn, (now, options) =>
      store.setPage(conn, page, shared, now, options),
    );
    const latest = view(stored.latestPage ?? HIDDEN_PAGE);
    const frame: UpdatePresenceServerFrame = {
      type: 'update-presence',
      userId: conn.userId,
      url: page.url,
      title: page.title,
      domain: shared ? domain : '',
      latestUrl: latest.url,
      latestTitle: latest.title,
      latestDomain: latest.domain,
    };
    const recipients = await calls.run('connectionsOf', () =>
      store.connectionsOf([conn.userId, ...without(friends, conn.userId)]),
    );
    const targets = [...recipients.values()].flat();
    const [report] = await Promise.all([
      notifier.send(targets, frame),
      this.#closeEvicted('update-presence', conn.userId, stored),
    ]);
    const gone = await this.#announcer.dropGone(report);
    log.info(
      { op: 'update-presence', userId: conn.userId, shared, recipients: targets.length, gone },
      'presence updated',
    );
    return { frame, shared, recipients: targets.length, gone };
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
        await this.heartbeat(ref);
        return { action: 'heartbeat' };
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
      return { userId: undefined, userOffline: false, notified: 0, deferred: false };
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

  /** `GET /presence`: the caller's and their accepted friends' presence, with every profile. */
  async getPresence(userId: string): Promise<GetPresenceResponse> {
    const caller = assertUserId(userId, 'userId', this.limits);
    const { graph, store, calls, log } = this.#ctx;
    const friends = without(await graph.friendsOf(caller), caller);
    const ids = [caller, ...friends];
    const [records, profiles] = await Promise.all([
      calls.run('presenceOf', () => store.presenceOf(ids)),
      graph.profilesOf(ids),
    ]);
    const presenceOf = (id: string): Presence => {
      const record = records.get(id);
      return record === undefined
        ? { userId: id, page: null, latestPage: null }
        : {
            userId: id,
            page: view(record.page),
            latestPage: view(record.latestPage ?? HIDDEN_PAGE),
          };
    };
    const userInfoMap: Record<string, UserInfo> = {};
    for (const id of ids) {
      const profile = profiles.get(id);
      userInfoMap[id] = {
        user_id: id,
        first_name: profile?.firstName ?? '',
        last_name: profile?.lastName ?? '',
        profile_image_extension: profile?.profileImageExtension ?? null,
      };
    }
    log.info({ op: 'get-presence', userId: caller, friends: friends.length }, 'presence read');
    return { userPresence: presenceOf(caller), presenceArr: friends.map(presenceOf), userInfoMap };
  }

  /**
   * `GET /presence/{userId}`: the target's raw stored page, `null` when offline.
   * @throws ForbiddenError when the target is neither the caller nor an accepted friend
   */
  async getUserPresence(callerId: string, targetId: string): Promise<Page | null> {
    const caller = assertUserId(callerId, 'userId', this.limits);
    const target = assertUserId(targetId, 'target userId', this.limits);
    const { graph, store, calls } = this.#ctx;
    if (caller !== target && !(await graph.areFriends(caller, target))) {
      throw new ForbiddenError('Forbidden access to user presence');
    }
    const record = (await calls.run('presenceOf', () => store.presenceOf([target]))).get(target);
    return record === undefined ? null : { url: record.page.url, title: record.page.title };
  }

  /** A touch or setPage with the cap, the rate limit and (setPage only) the deadline; refused frames throw. */
  async #frameWrite<R extends TouchResult>(
    operation: 'touch' | 'setPage',
    conn: ConnectionRef,
    write: (now: number, options: FrameOptions) => Promise<R>,
  ): Promise<R> {
    const { calls, clock, settings } = this.#ctx;
    const now = clock.now();
    // A heartbeat carries no deadline: a late one is harmless (see StoreCalls) and it is the hot
    // path, where reading the store's clock would cost a third more Redis time.
    const result = await calls.run(operation, (deadline) =>
      write(now, {
        maxConnections: settings.maxConnections,
        ...(settings.rateLimit === undefined ? {} : { rateLimit: settings.rateLimit }),
        ...(deadline === undefined || operation === 'touch' ? {} : { deadline }),
      }),
    );
    if (result.rateLimited) {
      throw new RateLimitedError(
        `connection sends frames faster than ${settings.rateLimit?.perSecond} per second`,
      );
    }
    return result;
  }

  /** Closes the sockets the connection cap evicted (clients reconnect or stay closed). */
  async #closeEvicted(op: string, userId: string, result: TouchResult): Promise<void> {
    const evicted = result.evicted ?? [];
    if (evicted.length === 0) return;
    await this.#ctx.notifier.close(evicted);
    this.#ctx.log.info({ op, userId, evicted: evicted.length }, 'connections over the cap closed');
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

/** A stored page as clients see it: with its registrable domain. */
export function view(page: Page): PageView {
  return { url: page.url, title: page.title, domain: registrableDomain(page.url) };
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
