import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { FriendGraph, Logger, PresenceStore } from '@presence/core';
import { Redis } from 'ioredis';
import { loadLocal, loadPostgres, loadRedis, reason } from '../adapters.js';
import { userId } from '../dataset.js';
import { PG_CONFIG } from '../pg-seed.js';
import { startProgress } from '../progress.js';
import { formatNumber } from '../table.js';
import type { BenchContext } from './context.js';
import { clientProcess } from './local-clients.js';

interface LocalModule {
  startLocalPresence(options: {
    port?: number;
    sweepIntervalSeconds?: number;
    store?: PresenceStore;
    graph?: FriendGraph;
    devEndpoints?: boolean;
    delivery?: 'inproc' | 'http';
    keyFile?: false;
    logger?: Logger;
  }): Promise<{
    wsUrl: string;
    issueToken(userId: string): Promise<string>;
    settle(): Promise<void>;
    close(): Promise<void>;
    readonly invocations?: { readonly running: number; readonly queued: number };
  }>;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const UPDATE_EVERY_MS = 3000;
/** Longest wait after the last update for frames still in flight; what is missing then is LOST. */
const DRAIN_MS = 30_000;

type ChildMessage =
  | { type: 'connected' }
  | { type: 'error'; message: string }
  | { type: 'progress'; sent: number; received: number; rss: number }
  | { type: 'sent-all'; sent: number; expected: number; received: number }
  | {
      type: 'result';
      sent: number;
      expected: number;
      received: number;
      p50Ms: number;
      p99Ms: number;
      rss: number;
      cpuCores: number;
    };

/** Resolves with the child's next message of `type` (rejects on an error message or exit). */
function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(`WebSocket clients: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`WebSocket clients exited (${code}) before ${type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Mean duration of each store and graph method the handlers call, to tell where an invocation
 * waits (bench-side wrappers; the adapters are unchanged).
 */
class CallTimes {
  readonly #totals = new Map<string, { calls: number; ms: number }>();

  /** A proxy of `target` timing every method that returns a promise. */
  wrap<T extends object>(label: string, target: T): T {
    return new Proxy(target, {
      get: (object, property) => {
        // The target as receiver: its getters read private fields (RedisPresenceStore's do).
        const value = Reflect.get(object, property);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const started = performance.now();
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (!(result instanceof Promise)) return result;
          const done = () => this.#add(`${label}.${String(property)}`, performance.now() - started);
          result.then(done, done);
          return result;
        };
      },
    });
  }

  reset(): void {
    this.#totals.clear();
  }

  summary(): string {
    return [...this.#totals]
      .map(
        ([name, t]) =>
          `${name} ${formatNumber(t.ms / t.calls)} (${t.calls.toLocaleString('en-US')})`,
      )
      .join(', ');
  }

  #add(name: string, ms: number): void {
    const total = this.#totals.get(name) ?? { calls: 0, ms: 0 };
    total.calls += 1;
    total.ms += ms;
    this.#totals.set(name, total);
  }
}

/** What one delivery's run measured, for the target lines. */
interface LocalRun {
  readonly lost: number;
  readonly p99Ms: number;
  /** Server RSS growth from the run's second quarter to its last, as a fraction. */
  readonly rssGrowth: number;
}

/**
 * Issues 6 and 13: the local runtime (`startLocalPresence`) on real Redis + PostgreSQL, N WebSocket
 * clients, each sending update-presence every ~3 s, once with in-process delivery (the default)
 * and once over HTTP `@connections` (the AWS SDK client): frames lost, p99 send → friend receipt,
 * server RSS over time.
 */
export async function measureLocal(ctx: BenchContext): Promise<void> {
  const clients = ctx.options.wsClients;
  if (clients === 0) {
    ctx.report.notMeasured(
      'local',
      'WebSocket clients through @presence/local',
      'skipped with --no-local',
    );
    return;
  }
  const inproc = await runLocal(ctx, 'inproc');
  const http = await runLocal(ctx, 'http');
  // Beside them, not judged: in process with the friend-list cache in front of PostgreSQL.
  await runLocal(ctx, 'inproc', true);
  const seconds = ctx.options.wsMs / 1000;
  const beside = (run: LocalRun | undefined, what: (r: LocalRun) => string) =>
    run === undefined ? 'not measured' : what(run);
  ctx.report.target(
    'local runtime, in-process delivery: lost frames = 0',
    inproc?.lost,
    '<=',
    0,
    ' frames',
    `${clients} clients, ${seconds} s, drain ≤ ${DRAIN_MS / 1000} s; --delivery http: ${beside(http, (r) => `${r.lost} lost`)}`,
  );
  ctx.report.target(
    'local runtime, in-process delivery: p99 send → friend receipt < 1 s',
    inproc?.p99Ms,
    '<',
    1000,
    ' ms',
    `--delivery http: ${beside(http, (r) => `${formatNumber(r.p99Ms)} ms`)}`,
  );
  ctx.report.target(
    'local runtime, in-process delivery: server RSS flat (last quarter ≤ 1.1 × second quarter)',
    inproc === undefined ? undefined : 1 + inproc.rssGrowth,
    '<=',
    1.1,
    '×',
    `--delivery http: ${beside(http, (r) => `${formatNumber(1 + r.rssGrowth)}×`)}`,
  );
}

/**
 * One delivery's run: N clients (users 0..N-1: in the ring, each has its 50 friends among the
 * others, except the first and last 25) in a child process (their own event loop and RSS); every
 * frame carries its send time in the title and receivers measure send → receipt on the same clock.
 * Lost = frames expected (online friends + own echo) − received once the server settled, or
 * {@link DRAIN_MS} after the last update, whichever comes first.
 */
async function runLocal(
  ctx: BenchContext,
  delivery: 'inproc' | 'http',
  friendCache = false,
): Promise<LocalRun | undefined> {
  const clients = ctx.options.wsClients;
  const local = (await loadLocal()) as unknown as LocalModule;
  const { RedisPresenceStore } = await loadRedis();
  const { PostgresFriendGraph } = await loadPostgres();
  const redis = new Redis({ port: ctx.redisPort, host: '127.0.0.1' });
  const calls = new CallTimes();
  const store = calls.wrap(
    'store',
    new RedisPresenceStore({
      client: redis,
      keyPrefix: `${ctx.prefix}-ws-${delivery}${friendCache ? '-cache' : ''}`,
    }),
  );
  const rawGraph: FriendGraph = calls.wrap(
    'graph',
    new PostgresFriendGraph({
      connectionString: `postgres://${PG_CONFIG.user}@${PG_CONFIG.host}:${PG_CONFIG.port}/${PG_CONFIG.database}`,
      schema: ctx.schema,
    }),
  );
  // The friend cache as the bench sets it up (presence-local has no option for it yet): every
  // user's friends and settings read once, then from the cache.
  let graph = rawGraph;
  if (friendCache) {
    const { MemoryFriendCache, withFriendCache } = await import('@presence/core');
    graph = withFriendCache(rawGraph, { cache: new MemoryFriendCache(), ttlSeconds: 300 });
  }
  const server = await local.startLocalPresence({
    port: 0,
    sweepIntervalSeconds: 0,
    store,
    graph,
    devEndpoints: false,
    delivery,
    keyFile: false,
    logger: quiet,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const child = spawn(process.execPath, ['-e', `(${clientProcess.toString()})()`], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const half = ctx.dataset.friends / 2;
    const onlineFriends = (u: number) => {
      let count = 0;
      for (let k = 1; k <= half; k += 1) {
        if (u + k < clients) count += 1;
        if (u - k >= 0) count += 1;
      }
      return count;
    };
    const progress = startProgress(`connect ${clients} WebSocket clients (child process)`);
    const users = Array.from({ length: clients }, (_, u) => u);
    const tokens = await Promise.all(users.map((u) => server.issueToken(userId(u))));
    const connected = nextMessage(child, 'connected');
    child.send({
      type: 'config',
      wsUrl: server.wsUrl,
      wsPath: createRequire(import.meta.url).resolve('ws'),
      tokens,
      userIds: users.map(userId),
      onlineFriends: users.map(onlineFriends),
      wsMs: ctx.options.wsMs,
      updateEveryMs: UPDATE_EVERY_MS,
    });
    await connected;
    await server.settle();
    progress.done();

    const serverRss: number[] = [process.memoryUsage().rss];
    const clientRss: number[] = [];
    const loadAtStart = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const run = startProgress(
      `${clients} clients updating every ~${UPDATE_EVERY_MS / 1000} s, delivery ${delivery}`,
    );
    loopDelay.enable();
    calls.reset();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const started = Date.now();
    const queuedSamples: number[] = [];
    const onProgress = (message: ChildMessage) => {
      if (message.type !== 'progress') return;
      serverRss.push(process.memoryUsage().rss);
      queuedSamples.push(server.invocations?.queued ?? 0);
      clientRss.push(message.rss);
      const queued = server.invocations?.queued;
      run.update(
        Math.min(1, (Date.now() - started) / ctx.options.wsMs),
        `${message.sent} sent, ${message.received} received${queued === undefined ? '' : `, ${queued} queued`}`,
      );
    };
    child.on('message', onProgress);
    const sentAllMessage = nextMessage(child, 'sent-all');
    child.send({ type: 'start' });
    const sentAll = await sentAllMessage;
    const lastSend = Date.now();
    // Bounded: past the drain deadline, whatever has not arrived counts as lost.
    let deadlineTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      server.settle(),
      new Promise((resolve) => {
        deadlineTimer = setTimeout(resolve, DRAIN_MS);
      }),
    ]);
    clearTimeout(deadlineTimer);
    const result = nextMessage(child, 'result');
    child.send({ type: 'drain', deadlineMs: lastSend + DRAIN_MS });
    const final = await result;
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const serverCores = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
    child.off('message', onProgress);
    serverRss.push(process.memoryUsage().rss);
    clientRss.push(final.rss);
    run.done();

    const seconds = ctx.options.wsMs / 1000;
    const drainSeconds = ((Date.now() - lastSend) / 1000).toFixed(1);
    const lost = Math.max(0, final.expected - final.received);
    const mib = (b: number) => `${Math.round(b / 2 ** 20)}`;
    const series = (values: number[]) =>
      values
        .map(mib)
        .filter((_, i, a) => i % Math.ceil(a.length / 6) === 0 || i === a.length - 1)
        .join(' → ');
    const quarter = (k: number) => {
      const from = Math.floor((k * serverRss.length) / 4);
      const slice = serverRss.slice(
        from,
        Math.max(from + 1, Math.floor(((k + 1) * serverRss.length) / 4)),
      );
      return slice.reduce((a, b) => a + b, 0) / slice.length;
    };
    const rssGrowth = quarter(3) / quarter(1) - 1;
    const loopP99 = loopDelay.percentile(99) / 1e6;
    ctx.report.add({
      section: 'local',
      name: `${clients} WebSocket clients, update every ~3 s (local runtime, ${delivery === 'inproc' ? 'in-process delivery' : '--delivery http, AWS SDK client'}${friendCache ? ', friend cache 300 s' : ''})`,
      callers: clients,
      opsPerSec: sentAll.sent / seconds,
      p50Ms: final.p50Ms,
      p99Ms: final.p99Ms,
      note: `ops/s = updates/s asked; p50/p99 send → friend receipt; ${final.received.toLocaleString('en-US')} of ${final.expected.toLocaleString('en-US')} frames received (${Math.round(sentAll.received / seconds).toLocaleString('en-US')}/s during the run, ${Math.round(final.expected / seconds).toLocaleString('en-US')}/s asked), LOST ${lost} after ${drainSeconds} s of drain (max ${DRAIN_MS / 1000} s); RSS server ${series(serverRss)} MiB (last quarter ÷ second quarter ${formatNumber(1 + rssGrowth)}×), clients (own process) ${series(clientRss)} MiB; server event-loop delay p99 ${formatNumber(loopP99)} ms, server CPU ${formatNumber(serverCores)} cores (run + drain), clients ${formatNumber(final.cpuCores)} cores; invocations queued (per second) max ${Math.max(0, ...queuedSamples)}, mean ${formatNumber(queuedSamples.reduce((a, b) => a + b, 0) / Math.max(1, queuedSamples.length))}; mean ms per call: ${calls.summary()}; load average at start ${loadAtStart}`,
    });
    return { lost, p99Ms: final.p99Ms, rssGrowth };
  } catch (error) {
    ctx.report.notMeasured(
      'local',
      `${clients} WebSocket clients, delivery ${delivery}`,
      reason(error),
    );
    return undefined;
  } finally {
    loopDelay.disable();
    child.kill();
    await server.close().catch(() => undefined);
    await graph.close?.();
    redis.disconnect();
  }
}
