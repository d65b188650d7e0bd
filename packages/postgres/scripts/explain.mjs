#!/usr/bin/env node
// Prints the EXPLAIN (ANALYZE, BUFFERS) plan of every graph query on a seeded schema: 100k users,
// ~50 accepted friends each, some pending requests and rows in both directions. The README's plans
// come from here. Usage: pnpm build && node scripts/explain.mjs [postgres-url]
// Creates and drops its own schema; touches nothing else.
import pg from 'pg';
import { createSchema, dropSchema, PostgresFriendGraph } from '../dist/index.js';

const url =
  process.argv.slice(2).find((arg) => !arg.startsWith('-')) ??
  process.env.PRESENCE_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const schema = `presence_explain_${process.pid}`;
const USERS = 100_000;
const pool = new pg.Pool({ connectionString: url, max: 2 });
const graph = new PostgresFriendGraph({ pool, schema });
const F = graph.names.friendship.sql;
const U = graph.names.user.sql;

try {
  await createSchema(pool, { schema });
  await pool.query(`
    INSERT INTO ${U} (user_id, first_name, last_name, profile_image_extension, share_mode)
    SELECT 'user-' || i, 'First' || i, 'Last' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'png' END,
           CASE WHEN i % 2 = 0 THEN 'default_none' ELSE 'default_all' END
    FROM generate_series(0, ${USERS - 1}) AS i`);
  // 25 requests sent and 25 received per user, all accepted: ~50 friends each.
  await pool.query(`
    INSERT INTO ${F} (user_id1, user_id2, requested_at, accepted_at)
    SELECT 'user-' || i, 'user-' || ((i + k * 37) % ${USERS}), now(), now()
    FROM generate_series(0, ${USERS - 1}) AS i, generate_series(1, 25) AS k`);
  // Pending requests, and 1 user in 20 with a friendship stored in both directions.
  await pool.query(`
    INSERT INTO ${F} (user_id1, user_id2, requested_at, accepted_at)
    SELECT 'user-' || i, 'user-' || ((i + 5000 + k) % ${USERS}), now(), NULL
    FROM generate_series(0, ${USERS - 1}) AS i, generate_series(1, 3) AS k
    ON CONFLICT DO NOTHING`);
  await pool.query(`
    INSERT INTO ${F} (user_id1, user_id2, requested_at, accepted_at)
    SELECT 'user-' || ((i + 37) % ${USERS}), 'user-' || i, now(), now()
    FROM generate_series(0, ${USERS - 1}, 20) AS i
    ON CONFLICT DO NOTHING`);
  await pool.query(`VACUUM ANALYZE ${F}`);
  await pool.query(`VACUUM ANALYZE ${U}`);
  const {
    rows: [counts],
  } = await pool.query(
    `SELECT (SELECT count(*) FROM ${U}) AS users, (SELECT count(*) FROM ${F}) AS friendship_rows`,
  );
  console.log(`-- seeded: ${counts.users} users, ${counts.friendship_rows} friendship rows\n`);

  const thousand = Array.from({ length: 1000 }, (_, i) => `user-${i * 97}`);
  const cases = [
    ['friendsOf', graph.queries.friendsOf, ['user-4242']],
    ['friendsOfMany (1,000 users)', graph.queries.friendsOfMany, [thousand]],
    ['areFriends', graph.queries.areFriends, ['user-4242', 'user-4279']],
    ['profilesOf (1,000 users)', graph.queries.profilesOf, [thousand]],
    ['sharingSettingsOf', graph.queries.sharingSettingsOf, ['user-4242']],
    ['friendsAndSettingsOf', graph.queries.friendsAndSettingsOf, ['user-4242']],
    ['friendsWithProfilesOf', graph.queries.friendsWithProfilesOf, ['user-4242']],
  ];
  // A 1,000-id array literal in a Filter line says nothing: keep its start.
  const shorten = (line) => line.replace(/'\{([^}]{60})[^}]*\}'/g, "'{$1...}'");
  const explain = async (label, text, values) => {
    const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    console.log(`-- ${label}\n${rows.map((row) => shorten(row['QUERY PLAN'])).join('\n')}\n`);
  };
  for (const [label, text, values] of cases) {
    await pool.query(text, values); // warm the cache: plans below are steady-state
    await explain(label, text, values);
  }
  if (process.argv.includes('--without-indexes')) {
    // What an existing database without the recommended user_id1 index, then without any, runs.
    await pool.query(`DROP INDEX "${schema}"."friendship_table_accepted_by_user_id1_idx"`);
    await pool.query(`ANALYZE ${F}`);
    await explain('friendsOfMany WITHOUT the user_id1 index', graph.queries.friendsOfMany, [
      thousand,
    ]);
    await explain(
      'friendsAndSettingsOf WITHOUT the user_id1 index',
      graph.queries.friendsAndSettingsOf,
      ['user-4242'],
    );
    await pool.query(`DROP INDEX "${schema}"."friendship_table_accepted_by_user_id2_idx"`);
    await pool.query(`ANALYZE ${F}`);
    await explain('friendsOf WITHOUT either index', graph.queries.friendsOf, ['user-4242']);
    await explain('friendsAndSettingsOf WITHOUT either index', graph.queries.friendsAndSettingsOf, [
      'user-4242',
    ]);
  }
} finally {
  await dropSchema(pool, schema);
  await pool.end();
}
