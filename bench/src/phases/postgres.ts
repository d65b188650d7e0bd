import pg from 'pg';
import { loadPostgres, reason } from '../adapters.js';
import { userId } from '../dataset.js';
import { PG_CONFIG } from '../pg-seed.js';
import { runClosedLoop } from '../runner.js';
import { type PhaseStats, ratio } from '../stats.js';
import type { BenchContext } from './context.js';

interface QueriesModule {
  buildQueries(names: unknown): { friendsOf: string; friendsOfMany: string; profilesOf: string };
  resolveNames(options: { schema?: string }): unknown;
}

interface Case {
  readonly name: string;
  readonly graph: (i: number) => Promise<unknown>;
  readonly bare: (i: number) => Promise<unknown>;
  readonly legacy: (i: number) => Promise<unknown>;
  readonly legacyNote: string;
  /** Op budget of the legacy run (1,000 queries per op are slow). */
  readonly legacyOps?: number;
}

/**
 * Issue 4's measurements on the seeded graph: friends of one user, friends of 1,000 users in one
 * query, profiles of 1,000 users, through `PostgresFriendGraph`; the same SQL text (from the
 * package's own `buildQueries`) on a bare `pg.Pool` (the physical limit); and the earlier pattern
 * (a new `pg.Client` per request, the `OR` friends query once per user).
 */
export async function measurePostgres(ctx: BenchContext): Promise<void> {
  const mod = (await loadPostgres()) as unknown as QueriesModule &
    Awaited<ReturnType<typeof loadPostgres>>;
  const graph = new mod.PostgresFriendGraph({
    connectionString: `postgres://${PG_CONFIG.user}@${PG_CONFIG.host}:${PG_CONFIG.port}/${PG_CONFIG.database}`,
    schema: ctx.schema,
    maxConnections: 16,
  });
  const queries = mod.buildQueries(mod.resolveNames({ schema: ctx.schema }));
  const pool = new pg.Pool({ ...PG_CONFIG, max: 16 });
  const n = ctx.dataset.users;
  const one = (i: number) => userId((i * 7919) % n);
  const many = (i: number) =>
    Array.from({ length: 1000 }, (_, k) => userId((i * 7919 + k * 97) % n));
  const legacyFriendsSql = `SELECT * FROM "${ctx.schema}".friendship_table WHERE (user_id1 = $1 OR user_id2 = $1) AND accepted_at IS NOT NULL`;
  const legacyProfilesSql = `SELECT * FROM "${ctx.schema}".user_table WHERE user_id = ANY($1)`;
  const withNewClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client(PG_CONFIG);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const cases: Case[] = [
    {
      name: 'friends of one user',
      graph: (i) => graph.friendsOf(one(i)),
      bare: (i) => pool.query({ name: 'pg-friends', text: queries.friendsOf, values: [one(i)] }),
      legacy: (i) => withNewClient((c) => c.query(legacyFriendsSql, [one(i)])),
      legacyNote: 'new connection + OR query',
    },
    {
      name: 'friends of 1,000 users',
      graph: (i) => graph.friendsOfMany(many(i)),
      bare: (i) =>
        pool.query({ name: 'pg-friends-many', text: queries.friendsOfMany, values: [many(i)] }),
      legacy: (i) =>
        withNewClient(async (c) => {
          for (const id of many(i)) await c.query(legacyFriendsSql, [id]);
        }),
      legacyNote: 'new connection + 1,000 OR queries, one per user',
      legacyOps: 200,
    },
    {
      name: 'profiles of 1,000 users',
      graph: (i) => graph.profilesOf(many(i)),
      bare: (i) => pool.query({ name: 'pg-profiles', text: queries.profilesOf, values: [many(i)] }),
      legacy: (i) => withNewClient((c) => c.query(legacyProfilesSql, [many(i)])),
      legacyNote: 'new connection + SELECT * … ANY($1)',
    },
  ];
  try {
    for (const c of cases) {
      for (const callers of ctx.options.concurrency) {
        const measure = async (
          label: string,
          fn: (i: number) => Promise<unknown>,
          maxOps: number,
          warmupOps: number,
        ): Promise<PhaseStats | undefined> => {
          try {
            return await runClosedLoop(
              { label, concurrency: callers, durationMs: ctx.options.phaseMs, maxOps, warmupOps },
              fn,
            );
          } catch (error) {
            ctx.report.notMeasured('postgres', `${label} ×${callers}`, reason(error));
            return undefined;
          }
        };
        // 1,000 queries per op: in --quick, this case runs at 1 caller only, so the run stays short.
        const slow = c.legacyOps !== undefined && ctx.options.quick;
        if (slow && callers > 1) continue;
        const warmup = slow ? 1 : 4;
        const g = await measure(
          `PostgresFriendGraph: ${c.name}`,
          c.graph,
          ctx.options.phaseOps,
          warmup,
        );
        const b = await measure(`bare pg: ${c.name}`, c.bare, ctx.options.phaseOps, warmup);
        const l = await measure(
          `earlier pattern: ${c.name}`,
          c.legacy,
          slow ? 1 : (c.legacyOps ?? ctx.options.phaseOps),
          0,
        );
        if (g) {
          ctx.report.add(
            {
              section: 'postgres',
              name: `PostgresFriendGraph: ${c.name}`,
              callers,
              versus: 'bare pg, same SQL',
              ratio: ratio(g.opsPerSec, b?.opsPerSec),
            },
            g,
          );
        }
        if (b)
          ctx.report.add(
            { section: 'postgres', name: `bare pg: ${c.name}`, callers, note: 'physical limit' },
            b,
          );
        if (l) {
          ctx.report.add(
            {
              section: 'postgres',
              name: `earlier pattern: ${c.name}`,
              callers,
              versus: 'graph ÷ this',
              ratio: ratio(g?.opsPerSec, l.opsPerSec),
              note: c.legacyNote,
            },
            l,
          );
        }
      }
    }
  } finally {
    await pool.end();
    await graph.close?.();
  }
}
