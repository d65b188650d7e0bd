import type { ConnectionNotifier, Logger, PresenceStore } from '@presence/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { forEachLimited, loadLambda, loadPostgres, loadRedis } from '../adapters.js';
import { connectionId, pageOf, userId } from '../dataset.js';
import { lambdaContext, restEvent, scheduledEvent, webSocketEvent } from '../events.js';
import { PG_CONFIG } from '../pg-seed.js';
import { startProgress } from '../progress.js';
import { formatNumber } from '../table.js';
import {
  countNotifier,
  countPool,
  countRedis,
  WorkCounter,
  type WorkCounts,
} from '../work/counting.js';
import type { BenchContext } from './context.js';

/** Repetitions of each operation; the table prints the mean per operation. */
const REPS = 100;
/** As the handlers phase: no seeded user goes stale by itself during a run. */
const TIMEOUT_S = 86_400;
/** Users online for the work phase: 0..ONLINE-1 (each with one connection and a shared page). */
const ONLINE = 3000;
/**
 * Users whose operations are counted (heartbeat, updates, reads): 100..199, each with 50 ring
 * friends (all online) and one hub friend (offline).
 */
const FIRST_ACTIVE = 100;
/** Users that go offline (sweep, then last-tab disconnect): 26 apart, so none is another's friend. */
const leaver = (i: number) => 300 + 26 * i;

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
interface Handlers {
  heartbeat: Handler;
  updatePresence: Handler;
  disconnect: Handler;
  timeout: Handler;
  getPresence: Handler;
  getUserPresence: Handler;
}
interface LambdaModule {
  parseConfig(env: Record<string, string | undefined>): unknown;
  createRuntime(
    config: unknown,
    overrides: {
      store: PresenceStore;
      graph: unknown;
      notifier: ConnectionNotifier;
      logger: Logger;
    },
  ): { close(): Promise<void> };
  createHandlers(runtime: unknown): Handlers;
  createApiGatewayNotifier(options: { endpoint: string; region: string }): ConnectionNotifier;
}
interface SweepReportLike {
  offline: number;
  done: boolean;
}

/** What any design must do at least for one operation. */
interface Minimum {
  readonly roundTrips: string;
  readonly queries: string;
  readonly posts: string;
}

interface Row {
  readonly operation: string;
  readonly per: WorkCounts;
  readonly minimum: Minimum;
  readonly note?: string;
}

/** Throws when a handler answered a non-2xx status (a refused call does no honest work). */
function ok(result: unknown): unknown {
  const status = (result as { statusCode?: number } | undefined)?.statusCode;
  if (status !== undefined && (status < 200 || status > 299)) {
    throw new Error(`handler answered ${status}`);
  }
  return result;
}

function mean(total: WorkCounts, count: number): WorkCounts {
  const per = WorkCounter.zero();
  for (const key of Object.keys(per) as (keyof WorkCounts)[]) per[key] = total[key] / count;
  return per;
}

/**
 * Issue 13's work counter: each operation through the real Lambda handlers (`createRuntime` with
 * the real `RedisPresenceStore`, `PostgresFriendGraph` and API Gateway notifier, each on a client
 * the bench counts), repeated {@link REPS} times, one at a time; the table prints per operation
 * the Redis round trips and commands, SQL queries, frames posted and sockets closed, beside the
 * least any design needs. Counted at the clients, so a regression in work is a number.
 */
export async function measureWork(ctx: BenchContext): Promise<void> {
  const lambda = (await loadLambda()) as unknown as LambdaModule;
  const { RedisPresenceStore } = await loadRedis();
  const { PostgresFriendGraph } = await loadPostgres();
  const keyPrefix = `${ctx.prefix}-w`;
  const counter = new WorkCounter();
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (fields, message) => {
      errors.push(`${message} ${String(fields.code ?? '')}`);
    },
  };

  const redis = new Redis({ port: ctx.redisPort, host: '127.0.0.1', maxRetriesPerRequest: 2 });
  await redis.ping(); // the handshake is not an operation's work
  countRedis(redis, counter);
  const pool = countPool(new pg.Pool({ ...PG_CONFIG, max: 2 }), counter);
  const ttlMs = 3 * TIMEOUT_S * 1000;
  const store = new RedisPresenceStore({ client: redis, keyPrefix, ttlMs });
  const graph = new (
    PostgresFriendGraph as unknown as new (options: {
      pool: pg.Pool;
      schema: string;
    }) => unknown
  )({ pool, schema: ctx.schema });
  const notifier = countNotifier(
    lambda.createApiGatewayNotifier({ endpoint: ctx.gateway.endpoint, region: 'us-east-1' }),
    counter,
  );
  const config = lambda.parseConfig({
    REDIS_URL: `redis://127.0.0.1:${ctx.redisPort}`,
    REDIS_KEY_PREFIX: keyPrefix,
    DB_CONNECTION: 'url',
    DATABASE_URL: `postgres://${PG_CONFIG.user}@${PG_CONFIG.host}:${PG_CONFIG.port}/${PG_CONFIG.database}`,
    DB_SCHEMA: ctx.schema,
    AUTH_PROVIDER: 'cognito',
    AUTH_COGNITO_USER_POOL_ID: 'us-east-1_Bench0001',
    WEBSOCKET_CALLBACK_URL: ctx.gateway.endpoint,
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'info',
    // The invocation metrics' EMF lines would go to stdout, where the report is written.
    METRICS: 'off',
    PRESENCE_TIMEOUT_SECONDS: String(TIMEOUT_S),
  });
  const runtime = lambda.createRuntime(config, { store, graph, notifier, logger });
  const h = lambda.createHandlers(runtime);
  const call = async (handler: Handler, event: unknown, context?: unknown) => {
    const result = ok(await handler(event, context));
    if (errors.length > 0) throw new Error(`handler logged an error: ${errors[0]}`);
    return result;
  };

  // Seeding and resets go through the same store class on a client that is not counted.
  const seedClient = new Redis({ port: ctx.redisPort, host: '127.0.0.1' });
  const seedStore = new RedisPresenceStore({ client: seedClient, keyPrefix, ttlMs });
  const ref = (u: number) => ({ userId: userId(u), connectionId: connectionId(u, 0, 'W') });
  const progress = startProgress(`work per operation (${REPS} of each, counted at the clients)`);
  try {
    const now = Date.now();
    await forEachLimited(Math.min(ONLINE, ctx.dataset.users), 128, async (u) => {
      await seedStore.addConnection(ref(u), now);
      await seedStore.setPage(ref(u), pageOf(u), true, now);
    });
    const active = (i: number) => FIRST_ACTIVE + (i % 100);
    const update = (u: number, page: { url: string; title: string }) =>
      webSocketEvent(
        'update-presence',
        userId(u),
        connectionId(u, 0, 'W'),
        JSON.stringify({ action: 'update-presence', ...page }),
      );
    // Warm-up on a user outside the counted ones: scripts loaded, pg sessions open, SDK ready.
    await call(
      h.heartbeat,
      webSocketEvent('heartbeat', userId(50), connectionId(50, 0, 'W'), '{"action":"heartbeat"}'),
    );
    await call(h.updatePresence, update(50, pageOf(50_050)));
    await call(h.getPresence, restEvent(userId(50)));
    await call(h.getUserPresence, restEvent(userId(50), userId(51)));

    const rows: Row[] = [];
    /** Counts `op(i)` for i < REPS, one at a time; `prepare(i)` runs first, not counted. */
    const count = async (
      operation: string,
      minimum: Minimum,
      op: (i: number) => Promise<unknown>,
      prepare?: (i: number) => Promise<unknown>,
    ) => {
      const total = WorkCounter.zero();
      for (let i = 0; i < REPS; i += 1) {
        await prepare?.(i);
        const before = counter.snapshot();
        await op(i);
        const diff = counter.since(before);
        for (const key of Object.keys(total) as (keyof WorkCounts)[]) total[key] += diff[key];
      }
      rows.push({ operation, per: mean(total, REPS), minimum });
      progress.update(rows.length / 8, operation);
    };
    const heartbeat = (u: number) =>
      webSocketEvent('heartbeat', userId(u), connectionId(u, 0, 'W'), '{"action":"heartbeat"}');

    await count('heartbeat', { roundTrips: '1', queries: '0', posts: '0' }, (i) =>
      call(h.heartbeat, heartbeat(active(i))),
    );
    await count(
      'update-presence, new page (51 friends, 50 online, + 1 own tab)',
      { roundTrips: '2', queries: '1', posts: '51' },
      (i) => call(h.updatePresence, update(active(i), pageOf(20_000 + i))),
    );
    // The same page again (a tab switch back, a window focus): every recipient already holds it.
    await count(
      'update-presence, page unchanged (tab switch back, window focus)',
      { roundTrips: '1', queries: '0', posts: '0' },
      (i) => call(h.updatePresence, update(active(i), pageOf(30_000 + i))),
      (i) => call(h.updatePresence, update(active(i), pageOf(30_000 + i))),
    );
    await count(
      'get-presence (GET /presence, 51 friends)',
      { roundTrips: '1', queries: '1', posts: '0' },
      (i) => call(h.getPresence, restEvent(userId(active(i)))),
    );
    await count(
      'get-user-presence (GET /presence/{friend})',
      { roundTrips: '1', queries: '1', posts: '0' },
      (i) => call(h.getUserPresence, restEvent(userId(active(i)), userId(active(i) + 1))),
    );

    // Sweep: the leavers go stale, one timeout run takes them offline (50 friends online each).
    const leavers = Array.from({ length: REPS }, (_, i) => leaver(i));
    const stale = Date.now() - 2 * TIMEOUT_S * 1000;
    for (const u of leavers) await seedStore.touch(ref(u), stale);
    ctx.gateway.reset();
    const beforeSweep = counter.snapshot();
    let offline = 0;
    for (let run = 0; run < 4; run += 1) {
      const report = (await call(
        h.timeout,
        scheduledEvent(),
        lambdaContext(120_000),
      )) as SweepReportLike;
      offline += report.offline;
      if (report.done) break;
    }
    if (offline !== REPS) throw new Error(`the sweep took ${offline} users offline, not ${REPS}`);
    rows.push({
      operation: `timeout sweep, per offline user (${REPS} stale users, 50 friends online each)`,
      per: mean(counter.since(beforeSweep), offline),
      minimum: {
        roundTrips: '≈0 (a few per batch of 500)',
        queries: '≈0 (1 per batch)',
        posts: '50 + 1 close',
      },
    });

    // Disconnect of the last tab: the same users, registered again (not counted).
    for (const u of leavers) await seedStore.addConnection(ref(u), Date.now());
    await count(
      'disconnect, last tab (50 friends online)',
      { roundTrips: '2', queries: '1', posts: '50' },
      (i) => {
        const u = leaver(i);
        return call(
          h.disconnect,
          webSocketEvent('$disconnect', userId(u), connectionId(u, 0, 'W')),
        );
      },
    );
    progress.done();

    const markdown = renderWork(rows);
    ctx.report.tables.push({
      title: 'Work per operation',
      intro: `Counted at the clients (ioredis \`sendCommand\` and pipelines, pg \`pool.query\`, the notifier) through the real Lambda handlers (\`createRuntime\` with \`RedisPresenceStore\`, \`PostgresFriendGraph\` and the API Gateway notifier on counted clients), ${REPS} of each operation one at a time, mean per operation. A round trip is a wave of Redis commands sent while none was awaiting its reply. The minimum is what any design needs (issue 13).`,
      markdown,
    });
    process.stderr.write(`\n${markdown}\n`);
  } finally {
    progress.done();
    await runtime.close();
    redis.disconnect();
    seedClient.disconnect();
    await pool.end();
  }
}

function renderWork(rows: readonly Row[]): string {
  const n = (value: number) => (Number.isInteger(value) ? String(value) : formatNumber(value));
  const header = [
    'operation',
    'Redis round trips',
    'Redis commands',
    'SQL queries',
    'posts',
    'closes',
    'minimum: round trips / queries / posts',
  ];
  const lines = rows.map((row) => [
    row.operation,
    n(row.per.redisRoundTrips),
    n(row.per.redisCommands),
    `${n(row.per.sqlQueries)}${row.per.sqlSessions > 0 ? ` (+${n(row.per.sqlSessions)} new sessions)` : ''}`,
    n(row.per.posts),
    n(row.per.closes),
    `${row.minimum.roundTrips} / ${row.minimum.queries} / ${row.minimum.posts}`,
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 || i === 6 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 || i === 6 ? '-'.repeat(w) : `${'-'.repeat(Math.max(1, w - 1))}:`)).join(' | ')} |`;
  return [line(header), rule, ...lines.map(line)].join('\n');
}
