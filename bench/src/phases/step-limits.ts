import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadPostgres, loadRedis } from '../adapters.js';
import { connectionId, friendsOfIndex, pageOf, userId } from '../dataset.js';
import { PG_CONFIG } from '../pg-seed.js';
import { runClosedLoop } from '../runner.js';
import { cpuMicrosPer, type PhaseStats } from '../stats.js';
import type { BenchContext } from './context.js';

/**
 * Reachable limits (issue 13): what a Node process reaches for the bare steps an operation reduces
 * to, measured in the same run and the same process as the handlers, with the same callers and the
 * same client layout (`per-caller`: one client per caller, as one Lambda container per concurrent
 * invocation; `shared`: one client for every caller, as one long-running runtime).
 */
export type Layout = 'per-caller' | 'shared';

/** Clients built per caller (or once, shared), closed by {@link Clients.close}. */
class Clients<T> {
  readonly #made: T[] = [];
  readonly #shared: boolean;
  readonly #make: () => T;
  readonly #close: (client: T) => Promise<void> | void;
  constructor(layout: Layout, make: () => T, close: (client: T) => Promise<void> | void) {
    this.#shared = layout === 'shared';
    this.#make = make;
    this.#close = close;
  }
  of(w: number): T {
    const k = this.#shared ? 0 : w;
    let client = this.#made[k];
    if (client === undefined) {
      client = this.#make();
      this.#made[k] = client;
    }
    return client;
  }
  async close(): Promise<void> {
    await Promise.all(this.#made.map((c) => this.#close(c)));
  }
}

const redisClients = (ctx: BenchContext, layout: Layout) =>
  new Clients(
    layout,
    () => new Redis({ port: ctx.redisPort, host: '127.0.0.1', maxRetriesPerRequest: 2 }),
    (c) => c.disconnect(),
  );
// A pool of 2 per caller, as each handler container's; one pool of 16 when shared.
const pgPools = (layout: Layout) =>
  new Clients(
    layout,
    () => new pg.Pool({ ...PG_CONFIG, max: layout === 'shared' ? 16 : 2 }),
    (p) => p.end(),
  );

const phaseOf = (ctx: BenchContext, label: string, callers: number) => ({
  label,
  concurrency: callers,
  durationMs: ctx.options.phaseMs,
  maxOps: ctx.options.phaseOps,
  warmupOps: Math.max(32, callers * 4),
});

/** The heartbeat's one command: `ZADD` of one member, on bare ioredis clients. */
export async function measureZaddLoop(
  ctx: BenchContext,
  callers: number,
  layout: Layout,
): Promise<PhaseStats & { cpuPerOpUs: number | undefined }> {
  const clients = redisClients(ctx, layout);
  const key = `${ctx.prefix}:zl:zset`;
  try {
    const settings = phaseOf(ctx, `bare ioredis ZADD (${layout} client)`, callers);
    const cpu0 = process.cpuUsage();
    const stats = await runClosedLoop(settings, (i, w) =>
      clients.of(w).zadd(key, Date.now(), `member:${i % 100_000}`),
    );
    const cpu = process.cpuUsage(cpu0);
    return { ...stats, cpuPerOpUs: cpuMicrosPer(cpu, stats.ops + settings.warmupOps) };
  } finally {
    await clients.close();
  }
}

/** The read-side ids of regular user `u`: the user and their ring friends. */
const idsOf = (ctx: BenchContext, u: number) => [
  userId(u),
  ...friendsOfIndex(ctx.dataset, u).map(userId),
];

interface StoreShape {
  readonly keys: { userKey(id: string): string; lastSeenKey(id: string): string };
  setPage(
    ref: { userId: string; connectionId: string },
    page: { url: string; title: string },
    shared: boolean,
    now: number,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
}

async function graphQueries(
  ctx: BenchContext,
): Promise<{ friendsWithProfilesOf: string; friendsAndSettingsOf: string }> {
  const { PostgresFriendGraph } = await loadPostgres();
  // Built for its SQL text only (the exact queries the handlers send); it never connects.
  const graph = new PostgresFriendGraph({
    connectionString: `postgres://${PG_CONFIG.user}@${PG_CONFIG.host}:${PG_CONFIG.port}/${PG_CONFIG.database}`,
    schema: ctx.schema,
  }) as unknown as {
    queries: { friendsWithProfilesOf: string; friendsAndSettingsOf: string };
    close(): Promise<void>;
  };
  const queries = graph.queries;
  await graph.close();
  return queries;
}

/** One measured step of a sum-of-steps limit. */
export interface Step {
  readonly name: string;
  readonly stats: PhaseStats;
}

/**
 * get-presence's bare steps, each alone at `callers` callers: the one SQL query
 * `PostgresFriendGraph.friendsWithProfilesOf` sends (its text, unnamed as the handlers' default, on
 * a pooled `pg` client), and the one pipelined Redis read `RedisPresenceStore.presenceWithLastSeenOf`
 * sends (`HGETALL` of each user hash and `GET` of each last-seen key, the store's own keys).
 */
export async function measureGetPresenceSteps(
  ctx: BenchContext,
  keyPrefix: string,
  callers: number,
  pick: (i: number) => number,
): Promise<{ steps: Step[]; withLastSeen: Step }> {
  const queries = await graphQueries(ctx);
  const { RedisPresenceStore } = await loadRedis();
  const keys = (
    new RedisPresenceStore({ keyPrefix, url: 'redis://127.0.0.1:1' }) as unknown as StoreShape
  ).keys;
  const pools = pgPools('per-caller');
  const clients = redisClients(ctx, 'per-caller');
  try {
    const sql = await runClosedLoop(
      phaseOf(ctx, 'bare step: friendsWithProfilesOf SQL', callers),
      (i, w) => pools.of(w).query(queries.friendsWithProfilesOf, [userId(pick(i))]),
    );
    // The read without last seen (`presenceOf`, `HGETALL` of each user hash): what the service
    // sends with last seen off (PRESENCE_LAST_SEEN_DAYS=0), printed beside the limit.
    const presence = await runClosedLoop(
      phaseOf(ctx, 'bare step: presence read', callers),
      (i, w) => {
        const pipe = clients.of(w).pipeline();
        for (const id of idsOf(ctx, pick(i))) pipe.hgetall(keys.userKey(id));
        return pipe.exec();
      },
    );
    const read = await runClosedLoop(
      phaseOf(ctx, 'bare step: presence + last seen read', callers),
      (i, w) => {
        const pipe = clients.of(w).pipeline();
        for (const id of idsOf(ctx, pick(i))) {
          pipe.hgetall(keys.userKey(id));
          pipe.get(keys.lastSeenKey(id));
        }
        return pipe.exec();
      },
    );
    // The handler reads presence and last seen together (presenceWithLastSeenOf): that is the step.
    return {
      steps: [
        { name: 'SQL: friendsWithProfilesOf (pooled pg, unnamed)', stats: sql },
        {
          name: 'Redis: HGETALL + GET of 51 users, one pipeline (presenceWithLastSeenOf)',
          stats: read,
        },
      ],
      withLastSeen: {
        name: 'Redis: HGETALL of 51 users, one pipeline (presenceOf: last seen off)',
        stats: presence,
      },
    };
  } finally {
    await pools.close();
    await clients.close();
  }
}

/**
 * update-presence's bare steps, each alone at `callers` callers: the `friendsAndSettingsOf` query,
 * the store's setPage script (`RedisPresenceStore.setPage` on a bare client, with the options the
 * service passes: cap, deadline, frame fingerprint) and the connections read (`HKEYS` of the user
 * and each friend, one pipeline). Also the setPage script without its deadline (issue 11's check).
 */
export async function measureUpdatePresenceSteps(
  ctx: BenchContext,
  keyPrefix: string,
  ttlMs: number,
  callers: number,
  pick: (i: number) => number,
  round: number,
): Promise<{
  steps: Step[];
  setPageWithDeadline: PhaseStats;
  setPageWithoutDeadline: PhaseStats;
  setPageWithoutOptions: PhaseStats;
}> {
  const queries = await graphQueries(ctx);
  const { RedisPresenceStore } = await loadRedis();
  const pools = pgPools('per-caller');
  const clients = redisClients(ctx, 'per-caller');
  const stores: StoreShape[] = [];
  const storeOf = (w: number) => {
    let s = stores[w];
    if (s === undefined) {
      s = new RedisPresenceStore({
        client: clients.of(w),
        keyPrefix,
        ttlMs,
      }) as unknown as StoreShape;
      stores[w] = s;
    }
    return s;
  };
  const keys = (
    new RedisPresenceStore({ keyPrefix, url: 'redis://127.0.0.1:1' }) as unknown as StoreShape
  ).keys;
  // Pages never seen before in this run (the skip rule would make a repeated one a no-op).
  const page = (i: number, variant: number) => pageOf(i + 7 * (round * 4 + variant));
  const setPage = (
    i: number,
    w: number,
    variant: number,
    options: 'none' | 'all' | 'no deadline',
  ) => {
    const u = pick(i);
    const now = Date.now();
    return storeOf(w).setPage(
      { userId: userId(u), connectionId: connectionId(u, 0, 'A') },
      page(i, variant),
      true,
      now,
      options === 'none'
        ? {}
        : {
            maxConnections: 10,
            frameFingerprint: `bench-${round}-${variant}-${i}`,
            ...(options === 'all' ? { deadline: now + 10_000 } : {}),
          },
    );
  };
  try {
    const sql = await runClosedLoop(
      phaseOf(ctx, 'bare step: friendsAndSettingsOf SQL', callers),
      (i, w) => pools.of(w).query(queries.friendsAndSettingsOf, [userId(pick(i))]),
    );
    // The script with no options (no cap, deadline or fingerprint), printed beside the limit.
    const write = await runClosedLoop(phaseOf(ctx, 'bare step: setPage script', callers), (i, w) =>
      setPage(i, w, 0, 'none'),
    );
    const withDeadline = await runClosedLoop(
      phaseOf(ctx, 'bare step: setPage script, service options', callers),
      (i, w) => setPage(i, w, 1, 'all'),
    );
    const withoutDeadline = await runClosedLoop(
      phaseOf(ctx, 'bare step: setPage script, no deadline', callers),
      (i, w) => setPage(i, w, 2, 'no deadline'),
    );
    const read = await runClosedLoop(
      phaseOf(ctx, 'bare step: connections read', callers),
      (i, w) => {
        const pipe = clients.of(w).pipeline();
        for (const id of idsOf(ctx, pick(i))) pipe.hkeys(keys.userKey(id));
        return pipe.exec();
      },
    );
    return {
      steps: [
        { name: 'SQL: friendsAndSettingsOf (pooled pg, unnamed)', stats: sql },
        {
          name: 'Redis: setPage script with the service options (cap, deadline, fingerprint)',
          stats: withDeadline,
        },
        { name: 'Redis: HKEYS of 51 users, one pipeline', stats: read },
      ],
      setPageWithDeadline: withDeadline,
      setPageWithoutDeadline: withoutDeadline,
      setPageWithoutOptions: write,
    };
  } finally {
    await pools.close();
    await clients.close();
  }
}

/**
 * CPU time of this process's main thread (the handlers' thread), µs, from
 * `/proc/self/task/<pid>/stat` (Linux; `undefined` elsewhere). `process.cpuUsage()` also counts
 * the `@connections` stand-in's worker thread and libuv's and V8's helper threads.
 */
export function mainThreadCpuMicros(): number | undefined {
  try {
    const ticks = threadStatCpuTicks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : (ticks * 1_000_000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * utime + stime (clock ticks) of a `/proc/<pid>/task/<tid>/stat` line: fields 14 and 15, counted
 * after the command name, which is in parentheses and may itself hold spaces and parentheses.
 */
export function threadStatCpuTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " come field 3 (state) onwards: utime is field 14, the 12th from there.
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;
