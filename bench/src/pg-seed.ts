import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './cleanup.js';
import { type Dataset, hubId, hubOffset, userIdSql } from './dataset.js';
import { startProgress } from './progress.js';

/** Connection settings of the loopback PostgreSQL. */
export const PG_CONFIG: pg.ClientConfig = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

/** A fresh schema holding the PROTOCOL.md tables, dropped at clean-up. */
export interface SeededSchema {
  readonly schema: string;
  /** Seed time, ms. */
  readonly seedMs: number;
  /** Friendship rows loaded. */
  readonly friendshipRows: number;
  drop(): Promise<void>;
}

/**
 * Creates schema `bench_<random>` with `friendship_table` and `user_table` exactly as PROTOCOL.md
 * defines them, loads the dataset with server-side `INSERT … SELECT generate_series` (multi-row
 * inserts generated inside PostgreSQL: no client round trip per row, faster than COPY here), then
 * adds the primary key and the accepted-by-user_id2 index that `@presence/postgres`'s
 * `schemaSql()` ships, and ANALYZEs. The legacy pattern runs against the same tables and indexes.
 */
export async function seedPostgres(dataset: Dataset): Promise<SeededSchema> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(PG_CONFIG);
  await admin.connect();
  const drop = async () => {
    const c = new pg.Client(PG_CONFIG);
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await c.end();
    }
  };
  const unregister = onCleanup(`drop schema ${schema}`, drop);
  const progress = startProgress(
    `seed PostgreSQL ${schema}: ${dataset.users.toLocaleString('en-US')} users × ${dataset.friends} friends`,
  );
  const started = Date.now();
  const half = dataset.friends / 2;
  const n = dataset.users;
  const steps: [string, string][] = [
    ['schema', `CREATE SCHEMA "${schema}"`],
    [
      'tables',
      `CREATE TABLE "${schema}".friendship_table (
        user_id1 VARCHAR, user_id2 VARCHAR, requested_at TIMESTAMP NOT NULL DEFAULT now(), accepted_at TIMESTAMP NULL);
       CREATE TABLE "${schema}".user_table (
        user_id VARCHAR, first_name VARCHAR NOT NULL, last_name VARCHAR NOT NULL,
        profile_image_extension VARCHAR NULL, share_mode VARCHAR NOT NULL DEFAULT 'default_none',
        domain_allow_array VARCHAR[] NOT NULL DEFAULT '{}', domain_deny_array VARCHAR[] NOT NULL DEFAULT '{}',
        email VARCHAR NULL, dob DATE NULL)`,
    ],
    [
      'users',
      `INSERT INTO "${schema}".user_table (user_id, first_name, last_name, profile_image_extension, share_mode, email)
       SELECT ${userIdSql('i')}, 'First' || i, 'Last' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'png' END,
              'default_all', 'user' || i || '@example.com'
       FROM generate_series(0, ${n - 1}) AS i`,
    ],
    [
      'hub users',
      `INSERT INTO "${schema}".user_table (user_id, first_name, last_name, profile_image_extension, share_mode)
       SELECT h.id, 'Hub', h.size::text, 'jpg', 'default_all'
       FROM (VALUES ${dataset.hubSizes.map((s) => `('${hubId(s)}', ${s})`).join(', ')}) AS h(id, size)`,
    ],
    [
      'friendships',
      // i requested i+k; rows for k = 1..half give every user `friends` accepted friends in total.
      // Every 10th user also has a pending request to i+half+1, which must not count.
      `INSERT INTO "${schema}".friendship_table (user_id1, user_id2, requested_at, accepted_at)
       SELECT ${userIdSql('i')}, ${userIdSql(`(i + k) % ${n}`)}, now() - interval '30 days', now() - interval '29 days'
       FROM generate_series(0, ${n - 1}) AS i, generate_series(1, ${half}) AS k
       UNION ALL
       SELECT ${userIdSql('i')}, ${userIdSql(`(i + ${half + 1}) % ${n}`)}, now(), NULL
       FROM generate_series(0, ${n - 1}, 10) AS i`,
    ],
    [
      'hub friendships',
      `INSERT INTO "${schema}".friendship_table (user_id1, user_id2, requested_at, accepted_at)
       ${dataset.hubSizes
         .map(
           (
             s,
           ) => `SELECT '${hubId(s)}', ${userIdSql(`(${hubOffset(dataset, s)} + k) % ${n}`)}, now(), now()
       FROM generate_series(0, ${Math.min(s, n) - 1}) AS k`,
         )
         .join('\n UNION ALL ')}`,
    ],
    [
      'primary keys',
      `ALTER TABLE "${schema}".friendship_table ADD PRIMARY KEY (user_id1, user_id2);
       ALTER TABLE "${schema}".user_table ADD PRIMARY KEY (user_id)`,
    ],
    [
      'user_id2 index',
      `CREATE INDEX friendship_table_accepted_by_user_id2_idx ON "${schema}".friendship_table (user_id2, user_id1)
       WHERE accepted_at IS NOT NULL`,
    ],
    ['analyze', `ANALYZE "${schema}".friendship_table; ANALYZE "${schema}".user_table`],
  ];
  try {
    await admin.query(`SET maintenance_work_mem = '256MB'`);
    for (const [i, [label, sql]] of steps.entries()) {
      progress.update(i / steps.length, label);
      await admin.query(sql);
    }
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".friendship_table`,
    );
    const seedMs = Date.now() - started;
    progress.done(`${Number(rows[0]?.n).toLocaleString('en-US')} friendship rows`);
    return {
      schema,
      seedMs,
      friendshipRows: Number(rows[0]?.n ?? 0),
      async drop() {
        unregister();
        await drop();
      },
    };
  } catch (error) {
    progress.done('failed');
    throw error;
  } finally {
    await admin.end();
  }
}

/** The server version (`15.20`), for the machine facts. */
export async function postgresVersion(): Promise<string> {
  const c = new pg.Client(PG_CONFIG);
  await c.connect();
  try {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await c.end();
  }
}
