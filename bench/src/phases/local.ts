import type { FriendGraph, Logger, PresenceStore } from '@presence/core';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { forEachLimited, loadLocal, loadPostgres, loadRedis } from '../adapters.js';
import { userId } from '../dataset.js';
import { PG_CONFIG } from '../pg-seed.js';
import { startProgress } from '../progress.js';
import { percentile } from '../stats.js';
import type { BenchContext } from './context.js';

interface LocalModule {
  startLocalPresence(options: {
    port?: number;
    sweepIntervalSeconds?: number;
    store?: PresenceStore;
    graph?: FriendGraph;
    devEndpoints?: boolean;
    keyFile?: false;
    logger?: Logger;
  }): Promise<{
    wsUrl: string;
    issueToken(userId: string): Promise<string>;
    settle(): Promise<void>;
    close(): Promise<void>;
  }>;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const UPDATE_EVERY_MS = 3000;
/** Wait after the last update and the server's settle() before counting lost frames. */
const DRAIN_MS = 1500;

/**
 * Issue 6: the local runtime (`startLocalPresence`) on real Redis + PostgreSQL, N WebSocket clients
 * (users 0..N-1: in the ring, each has its 50 friends among the others, except the first and last
 * 25), each sending update-presence every ~3 s. Every frame carries its send time in the title;
 * receivers measure send → receipt. Lost = frames expected (online friends + own echo) − received
 * after the server settled and a 1.5 s drain. Clients and server share this process (and its RSS).
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
  const local = (await loadLocal()) as unknown as LocalModule;
  const { RedisPresenceStore } = await loadRedis();
  const { PostgresFriendGraph } = await loadPostgres();
  const redis = new Redis({ port: ctx.redisPort, host: '127.0.0.1' });
  const store = new RedisPresenceStore({ client: redis, keyPrefix: `${ctx.prefix}-ws` });
  const graph = new PostgresFriendGraph({
    connectionString: `postgres://${PG_CONFIG.user}@${PG_CONFIG.host}:${PG_CONFIG.port}/${PG_CONFIG.database}`,
    schema: ctx.schema,
  });
  const server = await local.startLocalPresence({
    port: 0,
    sweepIntervalSeconds: 0,
    store,
    graph,
    devEndpoints: false,
    keyFile: false,
    logger: quiet,
  });
  const sockets: WebSocket[] = [];
  try {
    const latencies: number[] = [];
    let received = 0;
    let expected = 0;
    let sent = 0;
    const half = ctx.dataset.friends / 2;
    const onlineFriends = (u: number) => {
      let count = 0;
      for (let k = 1; k <= half; k += 1) {
        if (u + k < clients) count += 1;
        if (u - k >= 0) count += 1;
      }
      return count;
    };
    const progress = startProgress(`connect ${clients} WebSocket clients`);
    await forEachLimited(
      clients,
      32,
      async (u) => {
        const token = await server.issueToken(userId(u));
        const ws = new WebSocket(`${server.wsUrl}?Authorization=${encodeURIComponent(token)}`);
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data)) as {
            type?: string;
            title?: string;
            userId?: string;
          };
          if (frame.type !== 'update-presence' || !frame.title?.startsWith('bench ')) return;
          received += 1;
          if (frame.userId !== userId(u))
            latencies.push(Date.now() - Number(frame.title.split(' ')[2]));
        });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        sockets[u] = ws;
      },
      (done) => progress.update(done / clients),
    );
    await server.settle();
    progress.done();
    const rss: number[] = [process.memoryUsage().rss];
    const run = startProgress(`${clients} clients updating every ~${UPDATE_EVERY_MS / 1000} s`);
    const started = Date.now();
    const timers: NodeJS.Timeout[] = [];
    await new Promise<void>((resolve) => {
      sockets.forEach((ws, u) => {
        const tick = () => {
          if (Date.now() - started >= ctx.options.wsMs) return;
          sent += 1;
          expected += onlineFriends(u) + 1;
          ws.send(
            JSON.stringify({
              action: 'update-presence',
              url: `https://example.com/p/${u}`,
              title: `bench ${u} ${Date.now()}`,
            }),
          );
          timers.push(setTimeout(tick, UPDATE_EVERY_MS * (0.5 + Math.random())));
        };
        timers.push(setTimeout(tick, Math.random() * UPDATE_EVERY_MS));
      });
      const sampler = setInterval(() => {
        rss.push(process.memoryUsage().rss);
        run.update((Date.now() - started) / ctx.options.wsMs, `${sent} sent`);
      }, 1000);
      setTimeout(() => {
        clearInterval(sampler);
        resolve();
      }, ctx.options.wsMs);
    });
    for (const t of timers) clearTimeout(t);
    await server.settle();
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    run.done();
    const seconds = ctx.options.wsMs / 1000;
    const mib = (b: number) => `${Math.round(b / 2 ** 20)}`;
    ctx.report.add({
      section: 'local',
      name: `${clients} WebSocket clients, update every ~3 s (local runtime)`,
      callers: clients,
      opsPerSec: sent / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      note: `ops/s = updates/s; p50/p99 send → friend receipt; ${received.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} frames received, LOST ${Math.max(0, expected - received)}; RSS (clients + server, one process) ${rss
        .map(mib)
        .filter((_, i, a) => i % Math.ceil(a.length / 6) === 0 || i === a.length - 1)
        .join(' → ')} MiB`,
    });
    ctx.report.target(
      'local runtime: lost frames = 0',
      expected - received,
      '<=',
      0,
      ' frames',
      `${clients} clients, ${seconds} s`,
    );
  } finally {
    for (const ws of sockets) ws?.terminate();
    await server.close().catch(() => undefined);
    await graph.close?.();
    redis.disconnect();
  }
}
