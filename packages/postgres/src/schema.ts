import { ConfigError, type FriendGraphSeed } from '@presence/core';
import type pg from 'pg';
import { q, type ResolvedNames, resolveNames, type TableNameOptions } from './names.js';
import { schemaSql } from './sql.js';

/** Anything with pg's `query(text, values)`: a `pg.Pool`, a `pg.Client` or a checked-out client. */
export interface Queryable {
  /** Runs one SQL statement with its parameters (`$1`, `$2`, ...). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Creates the schema (when `schema` is set), both tables and the friend index, idempotently.
 * For standalone deployments, tests and benchmarks: never run it against the user service's database.
 * @example await createSchema(pool, { schema: 'presence_bench' });
 */
export async function createSchema(db: Queryable, options: TableNameOptions = {}): Promise<void> {
  await db.query(schemaSql(resolveNames(options)));
}

/** Drops a schema created by {@link createSchema} and everything in it. For tests and benchmarks. */
export async function dropSchema(db: Queryable, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
}

interface ColumnCheck {
  readonly table: 'friendship' | 'user';
  readonly column: string;
  /** pg_type.typcategory values accepted: S string, E enum, A array, D date/time. */
  readonly categories: string;
}

function checksOf(names: ResolvedNames): ColumnCheck[] {
  const f = names.friendshipColumns;
  const u = names.userColumns;
  return [
    { table: 'friendship', column: f.userId1, categories: 'S' },
    { table: 'friendship', column: f.userId2, categories: 'S' },
    { table: 'friendship', column: f.acceptedAt, categories: 'D' },
    { table: 'user', column: u.userId, categories: 'S' },
    { table: 'user', column: u.firstName, categories: 'S' },
    { table: 'user', column: u.lastName, categories: 'S' },
    { table: 'user', column: u.profileImageExtension, categories: 'S' },
    { table: 'user', column: u.shareMode, categories: 'SE' },
    { table: 'user', column: u.domainAllowArray, categories: 'A' },
    { table: 'user', column: u.domainDenyArray, categories: 'A' },
  ];
}

// to_regclass resolves a name exactly as the queries will (search_path included, views too),
// which information_schema cannot do for unqualified names.
const CATALOG_QUERY = `
SELECT r.ord, c.oid IS NOT NULL AS relation_exists, a.attnum IS NOT NULL AS column_exists,
       t.typcategory AS category,
       CASE WHEN a.attnum IS NULL THEN false
            ELSE has_column_privilege(c.oid, a.attnum, 'SELECT') END AS can_select
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(relation, column_name, ord)
LEFT JOIN pg_catalog.pg_class AS c ON c.oid = to_regclass(r.relation)
LEFT JOIN pg_catalog.pg_attribute AS a
  ON a.attrelid = c.oid AND a.attname = r.column_name AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
ORDER BY r.ord`;

interface CatalogRow {
  ord: string;
  relation_exists: boolean;
  column_exists: boolean;
  category: string | null;
  can_select: boolean;
}

const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  S: 'a string type',
  E: 'an enum',
  A: 'an array',
  D: 'a timestamp',
};

/**
 * Checks that every table and column the graph reads exists, has a usable type and is readable,
 * in one catalog query. Driver errors propagate as they are (the caller translates them).
 * @throws ConfigError naming every problem at once
 */
export async function checkSchema(db: Queryable, names: ResolvedNames): Promise<void> {
  const checks = checksOf(names);
  const tableOf = (check: ColumnCheck) =>
    check.table === 'friendship' ? names.friendship : names.user;
  const { rows } = await db.query<CatalogRow>(CATALOG_QUERY, [
    checks.map((check) => tableOf(check).sql),
    checks.map((check) => check.column),
  ]);
  const problems: string[] = [];
  const missingTables = new Set<string>();
  for (const row of rows) {
    const check = checks[Number(row.ord) - 1];
    if (check === undefined) continue;
    const table = tableOf(check).sql;
    if (!row.relation_exists) {
      if (!missingTables.has(table)) problems.push(`missing table ${table}`);
      missingTables.add(table);
    } else if (!row.column_exists) {
      problems.push(`missing column ${table}.${q(check.column)}`);
    } else if (row.category === null || !check.categories.includes(row.category)) {
      const expected = [...check.categories].map((c) => CATEGORY_NAMES[c]).join(' or ');
      problems.push(`column ${table}.${q(check.column)} is not ${expected}`);
    } else if (!row.can_select) {
      problems.push(`no SELECT privilege on ${table}.${q(check.column)}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`PostgreSQL friend graph schema mismatch: ${problems.join('; ')}`);
  }
}

const SEED_BATCH = 5000;

/**
 * Loads a {@link FriendGraphSeed} into tables created by {@link createSchema}, in one transaction
 * (rows of the same friendship: the last wins). For tests and benchmarks only: the graph itself
 * never writes.
 */
export async function seedFriendGraph(
  pool: pg.Pool,
  seed: FriendGraphSeed,
  options: TableNameOptions = {},
): Promise<void> {
  const names = resolveNames(options);
  const u = names.userColumns;
  const f = names.friendshipColumns;
  const insertUsers = `
INSERT INTO ${names.user.sql} (${[u.userId, u.firstName, u.lastName, u.profileImageExtension, u.shareMode, u.domainAllowArray, u.domainDenyArray].map(q).join(', ')})
SELECT r.id, r.first_name, r.last_name, r.ext, COALESCE(r.mode, 'default_none'),
       COALESCE(r.allow, '{}'), COALESCE(r.deny, '{}')
FROM jsonb_to_recordset($1::jsonb)
  AS r(id text, first_name text, last_name text, ext text, mode text, allow text[], deny text[])`;
  const insertFriendships = `
INSERT INTO ${names.friendship.sql} (${q(f.userId1)}, ${q(f.userId2)}, ${q(f.acceptedAt)})
SELECT r.from_id, r.to_id, CASE WHEN r.accepted THEN now() END
FROM unnest($1::text[], $2::text[], $3::boolean[]) AS r(from_id, to_id, accepted)`;

  const friendships = new Map<string, FriendGraphSeed['friendships'][number]>();
  for (const row of seed.friendships) friendships.set(JSON.stringify([row.from, row.to]), row);
  const rows = [...friendships.values()];

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (let i = 0; i < seed.users.length; i += SEED_BATCH) {
      const batch = seed.users.slice(i, i + SEED_BATCH).map((user) => ({
        id: user.userId,
        first_name: user.firstName,
        last_name: user.lastName,
        ext: user.profileImageExtension,
        mode: user.sharing?.shareMode ?? null,
        allow: user.sharing?.domainAllowList ?? null,
        deny: user.sharing?.domainDenyList ?? null,
      }));
      await client.query(insertUsers, [JSON.stringify(batch)]);
    }
    for (let i = 0; i < rows.length; i += SEED_BATCH) {
      const batch = rows.slice(i, i + SEED_BATCH);
      await client.query(insertFriendships, [
        batch.map((row) => row.from),
        batch.map((row) => row.to),
        batch.map((row) => row.accepted),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
