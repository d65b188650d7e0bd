import { randomBytes } from 'node:crypto';
import {
  type Clock,
  createPresenceService,
  type FriendGraph,
  type FriendGraphSeed,
  isUnavailable,
  type PresenceService,
  type ServerFrame,
  type SweepReport,
} from '@presence/core';
import { createApiGatewayNotifier } from '@presence/lambda';
import type { PostgresFriendGraph } from '@presence/postgres';
import { RedisPresenceStore } from '@presence/redis';
import { clearStore } from '@presence/redis/testing';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { FaultGateway } from './fault-gateway.js';
import type { RedisProcess } from './redis-process.js';

/** The presence timeout of the suite (PROTOCOL.md's default). */
export const TIMEOUT = 180_000;
/** How often the simulated deployment sweeps, and its clients heartbeat. */
export const TICK = 60_000;

/** alice–bob, alice–carol, alice–gus, bob–dave, carol–dave are friends; erin knows nobody. All share every page. */
export const SEED: FriendGraphSeed = {
  users: ['alice', 'bob', 'carol', 'dave', 'erin', 'gus'].map((userId) => ({
    userId,
    firstName: userId,
    lastName: 'F',
    profileImageExtension: null,
    sharing: { shareMode: 'default_all' as const, domainAllowList: [], domainDenyList: [] },
  })),
  friendships: [
    { from: 'alice', to: 'bob', accepted: true },
    { from: 'carol', to: 'alice', accepted: true },
    { from: 'alice', to: 'gus', accepted: true },
    { from: 'bob', to: 'dave', accepted: true },
    { from: 'dave', to: 'carol', accepted: true },
  ],
};

const FRIENDS = new Set(
  SEED.friendships.flatMap(({ from, to }) => [`${from}|${to}`, `${to}|${from}`]),
);
/** Whether two users are accepted friends in {@link SEED}. */
export const areFriends = (a: string, b: string) => FRIENDS.has(`${a}|${b}`);

/**
 * The wall clock plus jumps the test makes: store deadlines stay comparable with Redis `TIME`
 * (real time passes between calls), while timeouts and leases are crossed by `advance`, never by
 * sleeping.
 */
export class JumpClock implements Clock {
  #offset = 0;
  now(): number {
    return Date.now() + this.#offset;
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
}

/** Retries `call` until it succeeds, for at most `timeoutMs` (a client reconnecting after a restart). */
export async function eventually<T>(call: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A client's socket as the test knows it: the truth the service must converge to. */
interface Socket {
  readonly userId: string;
  readonly connectionId: string;
  open: boolean;
  /** Users online when it connected: its `GET /presence` showed them online. */
  readonly sawOnline: ReadonlySet<string>;
}

/** The shared processes of the suite. */
export interface Backends {
  readonly redis: RedisProcess;
  readonly gateway: FaultGateway;
  readonly graph: PostgresFriendGraph;
}

/**
 * One deployment over the real backends: `PresenceService` (core) on a `RedisPresenceStore` with a
 * fresh key prefix, the `PostgresFriendGraph` behind the proxy, and the real API Gateway notifier
 * against the fault gateway. Clients are simulated: the test decides when each connects, heartbeats
 * (every {@link TICK}), closes (with a `$disconnect`) or crashes (without), and the world checks
 * that the service converges to that truth.
 */
export class FaultWorld {
  readonly clock = new JumpClock();
  readonly client: Redis;
  readonly store: RedisPresenceStore;
  readonly service: PresenceService;
  readonly sockets = new Map<string, Socket>();
  /** Live sockets the sweep closed: a live client closed by mistake (a stampede). */
  readonly wronglyClosed: string[] = [];
  /** Users whose connect was refused and who never connected. */
  readonly refused = new Set<string>();
  readonly #backends: Backends;
  #beforeGraph: (() => void | Promise<void>) | undefined;

  constructor(backends: Backends) {
    this.#backends = backends;
    backends.gateway.delivered.length = 0;
    backends.gateway.closed.length = 0;
    backends.gateway.defaultMode = 200;
    this.client = new Redis({
      host: '127.0.0.1',
      port: backends.redis.port,
      maxRetriesPerRequest: 1,
      commandTimeout: 3_000,
      retryStrategy: () => 100,
    });
    // Connection errors are expected here; the store reports them through its calls.
    this.client.on('error', () => undefined);
    this.store = new RedisPresenceStore({
      client: this.client,
      keyPrefix: `faults-${randomBytes(4).toString('hex')}`,
      sweepBuckets: 8,
    });
    const graph = backends.graph;
    const hooked: FriendGraph = {
      friendsOf: (id) => graph.friendsOf(id),
      friendsOfMany: async (ids) => {
        const hook = this.#beforeGraph;
        this.#beforeGraph = undefined;
        await hook?.();
        return graph.friendsOfMany(ids);
      },
      areFriends: (a, b) => graph.areFriends(a, b),
      profilesOf: (ids) => graph.profilesOf(ids),
      sharingSettingsOf: (id) => graph.sharingSettingsOf(id),
      friendsAndSettingsOf: (id) => graph.friendsAndSettingsOf(id),
      friendsWithProfilesOf: (id) => graph.friendsWithProfilesOf(id),
    };
    this.service = createPresenceService({
      store: this.store,
      graph: hooked,
      notifier: createApiGatewayNotifier({
        endpoint: backends.gateway.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'fault-tests', secretAccessKey: 'fault-tests' },
        concurrency: 16,
      }),
      clock: this.clock,
      timeoutMs: TIMEOUT,
      storeTimeoutMs: 500,
      storeClockSkewMs: 100,
    });
  }

  /** A deployment that has been running: the sweep markers are in place, nothing to reconcile. */
  async settle(): Promise<void> {
    const marks = await this.store.markSweep(this.clock.now(), TIMEOUT - TICK);
    await this.store.markReconciled(
      marks.map((m) => ({ partition: m.partition, epoch: m.epoch, next: this.store.partitions })),
    );
  }

  /** Runs `hook` just before the service's next friend-graph batch read (inside an announcement). */
  beforeNextGraphRead(hook: () => void | Promise<void>): void {
    this.#beforeGraph = hook;
  }

  /** `$connect`; false when the service refused it (the client sees a failed upgrade). */
  async connect(userId: string, connectionId: string): Promise<boolean> {
    const sawOnline = this.onlineUsers();
    try {
      await this.service.connect({ userId, connectionId });
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      if (!this.onlineUsers().has(userId)) this.refused.add(userId);
      return false;
    }
    this.refused.delete(userId);
    this.sockets.set(connectionId, { userId, connectionId, open: true, sawOnline });
    return true;
  }

  /** The client closes the socket; API Gateway sends `$disconnect` once and ignores its answer. */
  async close(connectionId: string): Promise<'ok' | 'failed'> {
    this.#socket(connectionId).open = false;
    try {
      await this.service.disconnect(connectionId);
      return 'ok';
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      return 'failed';
    }
  }

  /** The client dies without a `$disconnect` (a crash, a lost network): only the sweep finds it. */
  crash(connectionId: string): void {
    this.#socket(connectionId).open = false;
  }

  /** A client's `update-presence`. */
  async update(connectionId: string, url: string) {
    const { userId } = this.#socket(connectionId);
    return this.service.updatePresence({ userId, connectionId }, { url, title: url });
  }

  /**
   * One interval of the deployment: time moves on by {@link TICK} (unless `advance: false`), every
   * open client heartbeats and the schedule sweeps (in that order, or sweep first). Failures are
   * what a fault looks like from the outside: counted, not thrown.
   */
  async tick(options: { sweepFirst?: boolean; advance?: boolean } = {}): Promise<{
    heartbeatFailures: number;
    report?: SweepReport;
  }> {
    if (options.advance !== false) this.clock.advance(TICK);
    const sweep = () =>
      this.#sweep().catch((error: unknown) => {
        if (!isUnavailable(error)) throw error;
        return undefined;
      });
    const report = options.sweepFirst ? await sweep() : undefined;
    const beats = await Promise.allSettled(
      this.openSockets().map((s) =>
        this.service.heartbeat({ userId: s.userId, connectionId: s.connectionId }),
      ),
    );
    const after = options.sweepFirst ? report : await sweep();
    return {
      heartbeatFailures: beats.filter((b) => b.status === 'rejected').length,
      ...(after === undefined ? {} : { report: after }),
    };
  }

  /**
   * After the faults are repaired: waits (bounded) for the store to answer, then runs the
   * deployment for `rounds` intervals, each heartbeat and sweep retried until it succeeds.
   */
  async recover(rounds = 5): Promise<void> {
    await eventually(() => this.client.ping());
    for (let i = 0; i < rounds; i++) {
      this.clock.advance(TICK);
      for (const s of this.openSockets()) {
        await eventually(() =>
          this.service.heartbeat({ userId: s.userId, connectionId: s.connectionId }),
        );
      }
      await eventually(() => this.#sweep());
    }
  }

  /** Users with an open socket. */
  onlineUsers(): Set<string> {
    return new Set(this.openSockets().map((s) => s.userId));
  }

  openSockets(): Socket[] {
    return [...this.sockets.values()].filter((s) => s.open);
  }

  /**
   * The invariants after recovery: every open friend connection's view of a user who went offline
   * ends with a `presence-timeout`, and of a user still online does not; `getPresence` agrees with
   * the truth; nobody who never connected is online; no frame reached a non-friend; no live socket
   * was swept; and an update of a healthy user reaches all of its open friends.
   */
  async expectConverged(): Promise<void> {
    const { gateway } = this.#backends;
    const online = this.onlineUsers();
    const ownerOf = (id: string) => this.sockets.get(id)?.userId;
    for (const socket of this.openSockets()) {
      for (const user of SEED.users.map((u) => u.userId)) {
        if (!areFriends(user, socket.userId)) continue;
        const about = gateway
          .framesFor(socket.connectionId)
          .filter((f): f is ServerFrame & { userId: string } => 'userId' in f && f.userId === user);
        const last = about.at(-1)?.type;
        const label = `${socket.connectionId} (${socket.userId}) view of ${user}`;
        if (online.has(user)) {
          expect(last, label).not.toBe('presence-timeout');
        } else if (socket.sawOnline.has(user) || about.length > 0) {
          expect(last, label).toBe('presence-timeout');
        }
      }
    }
    for (const user of online) {
      const body = await this.service.getPresence(user);
      expect(body.userPresence.page, `${user} sees themself online`).not.toBeNull();
      for (const friend of body.presenceArr) {
        expect(friend.page !== null, `${user}'s GET /presence shows ${friend.userId}`).toBe(
          online.has(friend.userId),
        );
      }
    }
    const stored = await this.store.presenceOf(SEED.users.map((u) => u.userId));
    expect(new Set(stored.keys()), 'online in the store').toEqual(online);
    for (const user of this.refused)
      expect(stored.has(user), `${user} never connected`).toBe(false);
    for (const { connectionId, frame } of gateway.delivered) {
      const owner = ownerOf(connectionId);
      if (owner === undefined || !('userId' in frame)) continue;
      expect(
        owner === frame.userId || areFriends(owner, frame.userId),
        `${frame.type} about ${frame.userId} reached ${owner}`,
      ).toBe(true);
    }
    expect(this.wronglyClosed, 'live sockets closed by the sweep').toEqual([]);
    await this.#expectHealthyUpdate(online);
  }

  /** Removes this world's keys and closes its client. */
  async dispose(): Promise<void> {
    await clearStore(this.store).catch(() => undefined);
    this.client.disconnect();
  }

  async #expectHealthyUpdate(online: ReadonlySet<string>): Promise<void> {
    const { gateway } = this.#backends;
    const sender = this.openSockets().find((s) =>
      this.openSockets().some((o) => areFriends(o.userId, s.userId)),
    );
    if (sender === undefined) return;
    const url = `https://example.org/after-recovery/${sender.connectionId}`;
    await this.update(sender.connectionId, url);
    for (const socket of this.openSockets()) {
      if (socket.userId !== sender.userId && !areFriends(socket.userId, sender.userId)) continue;
      const frames = gateway.framesFor(socket.connectionId);
      expect(frames.at(-1), `${socket.connectionId} got the update`).toMatchObject({
        type: 'update-presence',
        userId: sender.userId,
        url,
      });
    }
    expect(online.has(sender.userId)).toBe(true);
  }

  async #sweep(): Promise<SweepReport | undefined> {
    const { gateway } = this.#backends;
    const closedBefore = gateway.closed.length;
    let report: SweepReport | undefined;
    try {
      report = await this.service.sweep();
    } finally {
      for (const id of gateway.closed.slice(closedBefore)) {
        if (this.sockets.get(id)?.open) this.wronglyClosed.push(id);
      }
    }
    return report;
  }

  #socket(connectionId: string): Socket {
    const socket = this.sockets.get(connectionId);
    if (socket === undefined) throw new Error(`no socket ${connectionId}`);
    return socket;
  }
}
