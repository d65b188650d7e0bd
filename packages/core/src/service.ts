import { registrableDomain } from './domain.js';
import { ConfigError, ForbiddenError, InvalidInputError, PresenceError } from './errors.js';
import { assertConnectionId, assertUserId, DEFAULT_LIMITS, type PresenceLimits } from './limits.js';
import { type ConnectionRef, HIDDEN_PAGE, type Page, type PageView } from './model.js';
import type {
  Clock,
  ConnectionNotifier,
  FriendGraph,
  Logger,
  NotifyReport,
  PresenceStore,
} from './ports.js';
import {
  type ErrorFrame,
  errorFrame,
  type GetPresenceResponse,
  type Presence,
  parseClientFrame,
  type ServerFrame,
  type UpdatePresenceServerFrame,
  type UserInfo,
} from './schemas.js';
import { isShareable } from './sharing.js';

/** Options of {@link createPresenceService}. */
export interface PresenceServiceOptions {
  /** Where connections, liveness and pages live. */
  readonly store: PresenceStore;
  /** Friends, profiles and sharing settings. */
  readonly graph: FriendGraph;
  /** Delivers frames to WebSocket connections and closes stale ones. */
  readonly notifier: ConnectionNotifier;
  /** Time source. @default the system clock */
  readonly clock?: Clock;
  /** A connection silent for longer than this is swept. @default 180_000 (PROTOCOL.md) */
  readonly timeoutMs?: number;
  /** Connections removed per store sweep call (and users announced per friend-graph query). @default 500 */
  readonly sweepBatchSize?: number;
  /**
   * Users a sweep takes offline before it stops removing and announces them (then goes on). Larger
   * rounds skip more friend reads in a mass timeout (friends taken offline in the run are not read);
   * a crash mid-round leaves at most this many users unannounced. @default 100_000
   */
  readonly sweepAnnounceAfter?: number;
  /** Input limits. @default {@link DEFAULT_LIMITS} */
  readonly limits?: Partial<PresenceLimits>;
  /** Structured logger; nothing personal is logged at info. @default no logging */
  readonly logger?: Logger;
}

/** What {@link PresenceService.updatePresence} did. */
export interface UpdatePresenceResult {
  /** The frame sent to the user's connections and online friends. */
  readonly frame: UpdatePresenceServerFrame;
  /** Whether the page was stored as shared (false: hidden by the client or by the sharing rule). */
  readonly shared: boolean;
  /** Connections the frame went to, the user's own included. */
  readonly recipients: number;
  /** Connections found gone and removed on the way. */
  readonly gone: number;
}

/** What {@link PresenceService.disconnect} did. */
export interface DisconnectResult {
  /** The connection's user, `undefined` when the connection was unknown (already removed). */
  readonly userId: string | undefined;
  /** True when it was the user's last connection. */
  readonly userOffline: boolean;
  /** `presence-timeout` frames sent. */
  readonly notified: number;
}

/** Options of one {@link PresenceService.sweep} run. */
export interface SweepOptions {
  /**
   * Stop removing at this clock time (ms); the users already removed are still announced and their
   * sockets closed, so leave time for that. The next run goes on. @default no deadline
   */
  readonly deadline?: number;
}

/** What one {@link PresenceService.sweep} run did. */
export interface SweepReport {
  /** Connections silent since before `cutoff` were removed. */
  readonly cutoff: number;
  /** Connections removed. */
  readonly expired: number;
  /** Users who went offline. */
  readonly offline: number;
  /** `presence-timeout` frames sent. */
  readonly notified: number;
  /** Stale sockets closed through the notifier. */
  readonly closed: number;
  /** Store sweep batches run. */
  readonly batches: number;
  /** False when the deadline stopped the run with stale connections left. */
  readonly done: boolean;
}

/** What {@link PresenceService.handleFrame} did with a client frame. */
export type FrameOutcome =
  | { readonly action: 'heartbeat' }
  | { readonly action: 'update-presence'; readonly result: UpdatePresenceResult }
  | { readonly action: 'rejected'; readonly reply: ErrorFrame };

const systemClock: Clock = { now: () => Date.now() };
const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The seven presence operations over the ports. The only place that enforces the invariants of
 * DESIGN.md: visibility to accepted friends only, online while any connection is live, exactly one
 * `presence-timeout` per online friend connection, typed errors for bad input before any write.
 */
export class PresenceService {
  /** A connection silent for longer than this (ms) is swept. */
  readonly timeoutMs: number;
  /** The input limits in force. */
  readonly limits: PresenceLimits;
  readonly #store: PresenceStore;
  readonly #graph: FriendGraph;
  readonly #notifier: ConnectionNotifier;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #batchSize: number;
  readonly #announceAfter: number;

  constructor(options: PresenceServiceOptions) {
    this.#store = options.store;
    this.#graph = options.graph;
    this.#notifier = options.notifier;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.timeoutMs = positiveInteger(options.timeoutMs ?? 180_000, 'timeoutMs');
    this.#batchSize = positiveInteger(options.sweepBatchSize ?? 500, 'sweepBatchSize');
    this.#announceAfter = positiveInteger(
      options.sweepAnnounceAfter ?? 100_000,
      'sweepAnnounceAfter',
    );
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** `$connect`: registers the connection; the user is online with a hidden page until the first update. */
  async connect(ref: ConnectionRef): Promise<void> {
    const conn = this.#ref(ref);
    await this.#store.addConnection(conn, this.#clock.now());
    this.#log.info({ op: 'connect', userId: conn.userId }, 'connected');
  }

  /** `heartbeat` frame: refreshes last-seen, re-registering a connection the store no longer knows. */
  async heartbeat(ref: ConnectionRef): Promise<void> {
    const conn = this.#ref(ref);
    const { wasRegistered } = await this.#store.touch(conn, this.#clock.now());
    if (!wasRegistered) {
      this.#log.info({ op: 'heartbeat', userId: conn.userId }, 'connection re-registered');
    }
  }

  /**
   * `update-presence` frame: stores the page (hidden when the URL is empty or not http(s), or when
   * the user's sharing settings do not allow its domain), moves the latest shared page, and sends
   * `update-presence` to the user's own connections and online accepted friends.
   * @throws InvalidInputError for a bad id, a URL or title over the limits; nothing is written
   */
  async updatePresence(ref: ConnectionRef, input: Page): Promise<UpdatePresenceResult> {
    const conn = this.#ref(ref);
    const candidate = this.#page(input);
    const [friends, settings] = await Promise.all([
      this.#graph.friendsOf(conn.userId),
      candidate.url === '' ? undefined : this.#graph.sharingSettingsOf(conn.userId),
    ]);
    const domain = registrableDomain(candidate.url);
    const shared = candidate.url !== '' && isShareable(domain, settings);
    const page = shared ? candidate : HIDDEN_PAGE;
    const { latestPage } = await this.#store.setPage(conn, page, shared, this.#clock.now());
    const latest = view(latestPage ?? HIDDEN_PAGE);
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
    const recipients = await this.#store.connectionsOf([
      conn.userId,
      ...without(friends, conn.userId),
    ]);
    const targets = [...recipients.values()].flat();
    const report = await this.#notifier.send(targets, frame);
    const gone = await this.#dropGone(report);
    this.#log.info(
      { op: 'update-presence', userId: conn.userId, shared, recipients: targets.length, gone },
      'presence updated',
    );
    return { frame, shared, recipients: targets.length, gone };
  }

  /**
   * Parses and runs one raw client frame. Bad frames (not JSON, too large, unknown action, missing or
   * over-long fields) change nothing and come back as a JSON error frame to send to the client.
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
        (error.code === 'invalid_frame' || error.code === 'invalid_input')
      ) {
        this.#log.info({ op: 'frame', userId: ref.userId, code: error.code }, 'frame rejected');
        return { action: 'rejected', reply: errorFrame(error.code, error.message) };
      }
      throw error;
    }
  }

  /** `$disconnect`: removes the connection; the user's last one takes them offline and tells friends. */
  async disconnect(connectionId: string): Promise<DisconnectResult> {
    const id = assertConnectionId(connectionId, this.limits);
    const removed = await this.#store.removeConnection(id);
    if (removed === undefined) return { userId: undefined, userOffline: false, notified: 0 };
    const notified = removed.userOffline ? await this.#announceOffline([removed.userId]) : 0;
    this.#log.info(
      { op: 'disconnect', userId: removed.userId, userOffline: removed.userOffline, notified },
      'disconnected',
    );
    return { userId: removed.userId, userOffline: removed.userOffline, notified };
  }

  /**
   * Timeout sweep, in rounds: (1) remove connections silent for longer than the timeout, batch by
   * batch, until none is left, the deadline passes or `sweepAnnounceAfter` users went offline;
   * (2) in chunks of `sweepBatchSize`, two at a time, tell those users' friends (on connections
   * seen since the cutoff, skipping friends this run took offline: they are not told and cost no
   * read, which in a mass timeout is most of them) and, side by side, close the stale sockets so
   * their clients reconnect. A round never leaves users it removed unannounced. A connection
   * touched after the cutoff is never removed (the store's contract).
   */
  async sweep(options: SweepOptions = {}): Promise<SweepReport> {
    const cutoff = this.#clock.now() - this.timeoutMs;
    const offlineInRun = new Set<string>();
    const totals = { expired: 0, offline: 0, notified: 0, closed: 0, batches: 0 };
    const beforeDeadline = () =>
      options.deadline === undefined || this.#clock.now() < options.deadline;
    let more = true;
    while (more && beforeDeadline()) {
      const expired: string[] = [];
      const offline: string[] = [];
      while (more && beforeDeadline() && offline.length < this.#announceAfter) {
        const batch = await this.#store.sweep(cutoff, this.#batchSize);
        totals.batches += 1;
        more = batch.more;
        for (const ref of batch.expired) expired.push(ref.connectionId);
        for (const userId of batch.offline) {
          offline.push(userId);
          offlineInRun.add(userId);
        }
      }
      totals.expired += expired.length;
      totals.offline += offline.length;
      const size = this.#batchSize;
      // A mass timeout (at least a batch offline, fewer than half as many live connections): read
      // the friends of the live users instead, announce, then only close below.
      const live =
        offline.length >= size && this.#store.liveUsers !== undefined
          ? await this.#store.liveUsers(cutoff, Math.floor(offline.length / 2))
          : undefined;
      if (live !== undefined) {
        totals.notified += await this.#announceToLive(offline, live, cutoff, offlineInRun);
      }
      const announcing = live === undefined ? offline : [];
      // Chunk k announces users [kB, (k+1)B) and closes sockets [kB, (k+1)B) side by side (the
      // friend-graph query waits on the database while the closes use the CPU), two chunks at a
      // time; a chunk's closes never queue more than B requests ahead of the next announcements.
      const chunks = Math.ceil(Math.max(announcing.length, expired.length) / size);
      let next = 0;
      const lane = async () => {
        for (let k = next++; k < chunks; k = next++) {
          const users = announcing.slice(k * size, (k + 1) * size);
          const sockets = expired.slice(k * size, (k + 1) * size);
          const [sent, report] = await Promise.all([
            users.length > 0
              ? this.#announceOffline(users, { seenSince: cutoff, offlineInRun })
              : 0,
            sockets.length > 0 ? this.#notifier.close(sockets) : undefined,
          ]);
          totals.notified += sent;
          totals.closed += report?.delivered.length ?? 0;
        }
      };
      await Promise.all([lane(), lane()]);
    }
    const summary = { cutoff, ...totals, done: !more };
    this.#log.info({ op: 'sweep', ...summary }, 'swept');
    return summary;
  }

  /** `GET /presence`: the caller's and their accepted friends' presence, with every profile. */
  async getPresence(userId: string): Promise<GetPresenceResponse> {
    const caller = assertUserId(userId, 'userId', this.limits);
    const friends = without(await this.#graph.friendsOf(caller), caller);
    const ids = [caller, ...friends];
    const [records, profiles] = await Promise.all([
      this.#store.presenceOf(ids),
      this.#graph.profilesOf(ids),
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
    this.#log.info(
      { op: 'get-presence', userId: caller, friends: friends.length },
      'presence read',
    );
    return { userPresence: presenceOf(caller), presenceArr: friends.map(presenceOf), userInfoMap };
  }

  /**
   * `GET /presence/{userId}`: the target's raw stored page, `null` when offline.
   * @throws ForbiddenError when the target is neither the caller nor an accepted friend
   */
  async getUserPresence(callerId: string, targetId: string): Promise<Page | null> {
    const caller = assertUserId(callerId, 'userId', this.limits);
    const target = assertUserId(targetId, 'target userId', this.limits);
    if (caller !== target && !(await this.#graph.areFriends(caller, target))) {
      throw new ForbiddenError('Forbidden access to user presence');
    }
    const record = (await this.#store.presenceOf([target])).get(target);
    return record === undefined ? null : { url: record.page.url, title: record.page.title };
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

  /**
   * Sends `presence-timeout` for each offline user to their online friends; returns frames sent.
   * From the sweep: friends it took offline are skipped unread, and only friends' connections seen
   * since its cutoff are sent to (stale ones are about to be swept and closed themselves).
   */
  async #announceOffline(
    initial: readonly string[],
    sweep?: { readonly seenSince: number; readonly offlineInRun: ReadonlySet<string> },
  ): Promise<number> {
    let pending = [...new Set(initial)];
    let sent = 0;
    // Gone connections found while announcing can take more users offline: announce them too.
    while (pending.length > 0) {
      const friendsByUser = await this.#graph.friendsOfMany(pending);
      const allFriends = new Set<string>();
      for (const friends of friendsByUser.values()) {
        for (const f of friends) if (!sweep?.offlineInRun.has(f)) allFriends.add(f);
      }
      const connections =
        allFriends.size > 0
          ? await this.#store.connectionsOf([...allFriends], sweep?.seenSince)
          : new Map();
      const reports = await Promise.all(
        pending.map((userId) => {
          const targets = without(friendsByUser.get(userId) ?? [], userId).flatMap(
            (friend) => connections.get(friend) ?? [],
          );
          const frame: ServerFrame = { type: 'presence-timeout', userId };
          return targets.length > 0 ? this.#notifier.send(targets, frame) : undefined;
        }),
      );
      const next: string[] = [];
      for (const report of reports) {
        if (report === undefined) continue;
        sent += report.delivered.length;
        next.push(...(await this.#removeGone(report.gone)));
      }
      pending = [...new Set(next)];
    }
    return sent;
  }

  /**
   * The sweep's announcement in a mass timeout, read from the other side: the friends of the few
   * `live` users, kept when they went offline in this round (friendship is symmetric), so that each
   * offline user is sent to their live friends' connections seen since `seenSince`.
   */
  async #announceToLive(
    offline: readonly string[],
    live: readonly string[],
    seenSince: number,
    offlineInRun: ReadonlySet<string>,
  ): Promise<number> {
    const offlineNow = new Set(offline);
    const liveFriendsOf = new Map<string, string[]>();
    for (let i = 0; i < live.length; i += this.#batchSize) {
      const friendsByUser = await this.#graph.friendsOfMany(live.slice(i, i + this.#batchSize));
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
    const connections =
      recipients.length > 0 ? await this.#store.connectionsOf(recipients, seenSince) : new Map();
    const reports = await Promise.all(
      [...liveFriendsOf].map(([userId, friends]) => {
        const targets = friends.flatMap((friend) => connections.get(friend) ?? []);
        const frame: ServerFrame = { type: 'presence-timeout', userId };
        return targets.length > 0 ? this.#notifier.send(targets, frame) : undefined;
      }),
    );
    let sent = 0;
    const gone: string[] = [];
    for (const report of reports) {
      if (report === undefined) continue;
      sent += report.delivered.length;
      gone.push(...report.gone);
    }
    const next = await this.#removeGone(gone);
    if (next.length > 0) sent += await this.#announceOffline(next, { seenSince, offlineInRun });
    return sent;
  }

  /** Removes gone connections after a send and announces users they took offline. */
  async #dropGone(report: NotifyReport): Promise<number> {
    if (report.gone.length === 0) return 0;
    const offline = await this.#removeGone(report.gone);
    if (offline.length > 0) await this.#announceOffline(offline);
    return report.gone.length;
  }

  /** Removes connections; returns the users that went offline. */
  async #removeGone(ids: readonly string[]): Promise<string[]> {
    const removed = await Promise.all(
      [...new Set(ids)].map((id) => this.#store.removeConnection(id)),
    );
    return removed.flatMap((r) => (r?.userOffline ? [r.userId] : []));
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

function without(ids: readonly string[], self: string): string[] {
  return [...new Set(ids)].filter((id) => id !== self);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
