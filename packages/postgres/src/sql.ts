import { q, type ResolvedNames } from './names.js';

/** The SQL text of every query the graph runs, built once from validated, quoted names. */
export interface FriendGraphQueries {
  /** `$1` = user id → rows `{ friend_id }`. */
  readonly friendsOf: string;
  /** `$1` = user ids (`text[]`) → rows `{ user_id, friend_ids }`, only for users with friends. */
  readonly friendsOfMany: string;
  /** `$1`, `$2` = user ids → one row `{ friends: boolean }`. */
  readonly areFriends: string;
  /** `$1` = user ids (`text[]`) → rows `{ user_id, first_name, last_name, profile_image_extension }`. */
  readonly profilesOf: string;
  /** `$1` = user id → zero or one row `{ share_mode, domain_allow_array, domain_deny_array }`. */
  readonly sharingSettingsOf: string;
  /**
   * `$1` = user id → exactly one row `{ known, share_mode, domain_allow_array, domain_deny_array,
   * friend_ids }`: the user's settings (`known` false and nulls when the user table has no row)
   * and accepted friends.
   */
  readonly friendsAndSettingsOf: string;
  /**
   * `$1` = user id → one row per friend and one for the user: `{ user_id, is_friend, known,
   * first_name, last_name, profile_image_extension, share_mode, domain_allow_array,
   * domain_deny_array }` (`known` false and nulls without a user row).
   */
  readonly friendsWithProfilesOf: string;
}

/** Builds the read queries for the given names. Every value is a parameter; names are quoted. */
export function buildQueries(names: ResolvedNames): FriendGraphQueries {
  const F = names.friendship.sql;
  const U = names.user.sql;
  const u1 = q(names.friendshipColumns.userId1);
  const u2 = q(names.friendshipColumns.userId2);
  const accepted = q(names.friendshipColumns.acceptedAt);
  const id = q(names.userColumns.userId);
  const c = names.userColumns;

  // UNION (not UNION ALL) deduplicates A→B plus B→A; each branch has its own index
  // (the primary key for user_id1, the user_id2 index for the other direction).
  const friendsOf = [
    `SELECT f.${u2} AS friend_id FROM ${F} AS f`,
    `WHERE f.${u1} = $1 AND f.${accepted} IS NOT NULL AND f.${u2} <> $1`,
    'UNION',
    `SELECT f.${u1} AS friend_id FROM ${F} AS f`,
    `WHERE f.${u2} = $1 AND f.${accepted} IS NOT NULL AND f.${u1} <> $1`,
  ].join('\n');

  // UNION ALL then array_agg(DISTINCT): deduplicating ~50 ids per user by sorting inside each
  // group measured faster than a UNION hash over every (user, friend) pair of the batch.
  const friendsOfMany = [
    'WITH wanted AS (SELECT DISTINCT w.id FROM unnest($1::text[]) AS w(id))',
    'SELECT pair.user_id, array_agg(DISTINCT pair.friend_id) AS friend_ids',
    'FROM (',
    `  SELECT f.${u1} AS user_id, f.${u2} AS friend_id`,
    `  FROM wanted JOIN ${F} AS f ON f.${u1} = wanted.id WHERE f.${accepted} IS NOT NULL`,
    '  UNION ALL',
    `  SELECT f.${u2} AS user_id, f.${u1} AS friend_id`,
    `  FROM wanted JOIN ${F} AS f ON f.${u2} = wanted.id WHERE f.${accepted} IS NOT NULL`,
    ') AS pair',
    'WHERE pair.user_id <> pair.friend_id',
    'GROUP BY pair.user_id',
  ].join('\n');

  const areFriends = [
    `SELECT EXISTS (SELECT 1 FROM ${F} AS f WHERE f.${accepted} IS NOT NULL`,
    `  AND ((f.${u1} = $1 AND f.${u2} = $2) OR (f.${u1} = $2 AND f.${u2} = $1))) AS friends`,
  ].join('\n');

  const profilesOf = [
    `SELECT u.${id} AS user_id, u.${q(c.firstName)} AS first_name, u.${q(c.lastName)} AS last_name,`,
    `  u.${q(c.profileImageExtension)} AS profile_image_extension`,
    `FROM ${U} AS u WHERE u.${id} = ANY($1::text[])`,
  ].join('\n');

  const sharingSettingsOf = [
    `SELECT u.${q(c.shareMode)} AS share_mode, u.${q(c.domainAllowArray)} AS domain_allow_array,`,
    `  u.${q(c.domainDenyArray)} AS domain_deny_array`,
    `FROM ${U} AS u WHERE u.${id} = $1`,
  ].join('\n');

  // One user's accepted friends as a set, for the combined reads below: the two index-only
  // branches of friendsOf, with the parameter typed once so every branch compares text.
  const friendSet = [
    `SELECT f.${u2} AS id FROM ${F} AS f`,
    `WHERE f.${u1} = $1::text AND f.${accepted} IS NOT NULL AND f.${u2} <> $1::text`,
    'UNION',
    `SELECT f.${u1} AS id FROM ${F} AS f`,
    `WHERE f.${u2} = $1::text AND f.${accepted} IS NOT NULL AND f.${u1} <> $1::text`,
  ];

  // update-presence in one query: the user's row (a primary-key lookup, LEFT JOINed so an unknown
  // user still gets a row) beside an ARRAY() of the friend set.
  const friendsAndSettingsOf = [
    `SELECT u.${id} IS NOT NULL AS known, u.${q(c.shareMode)} AS share_mode,`,
    `  u.${q(c.domainAllowArray)} AS domain_allow_array, u.${q(c.domainDenyArray)} AS domain_deny_array,`,
    '  ARRAY(',
    ...friendSet.map((line) => `    ${line}`),
    '  ) AS friend_ids',
    `FROM (SELECT $1::text AS id) AS me LEFT JOIN ${U} AS u ON u.${id} = me.id`,
  ].join('\n');

  // GET /presence in one query: the caller and the friend set, each LEFT JOINed to its user row
  // (one primary-key lookup per row: profile and sharing settings, which the service applies to
  // each friend's pages), so a friend without a profile is still listed.
  const friendsWithProfilesOf = [
    'WITH friend AS (',
    ...friendSet.map((line) => `  ${line}`),
    ')',
    `SELECT w.id AS user_id, w.is_friend, u.${id} IS NOT NULL AS known,`,
    `  u.${q(c.firstName)} AS first_name, u.${q(c.lastName)} AS last_name,`,
    `  u.${q(c.profileImageExtension)} AS profile_image_extension,`,
    `  u.${q(c.shareMode)} AS share_mode, u.${q(c.domainAllowArray)} AS domain_allow_array,`,
    `  u.${q(c.domainDenyArray)} AS domain_deny_array`,
    'FROM (SELECT $1::text AS id, false AS is_friend',
    '  UNION ALL SELECT friend.id::text, true FROM friend) AS w',
    `LEFT JOIN ${U} AS u ON u.${id} = w.id`,
  ].join('\n');

  return Object.freeze({
    friendsOf,
    friendsOfMany,
    areFriends,
    profilesOf,
    sharingSettingsOf,
    friendsAndSettingsOf,
    friendsWithProfilesOf,
  });
}

function indexName(table: string, suffix: string): string {
  // Index names live in the table's schema and are identifiers too: keep them under 63 bytes.
  let base = table;
  while (Buffer.byteLength(`${base}_${suffix}`, 'utf8') > 63) base = base.slice(0, -1);
  return `${base}_${suffix}`;
}

/**
 * The DDL that creates both tables as PROTOCOL.md defines them, plus the indexes the friend queries
 * need (idempotent: `IF NOT EXISTS` throughout). With default names it is `sql/schema.sql`.
 */
export function schemaSql(names: ResolvedNames): string {
  const f = names.friendshipColumns;
  const u = names.userColumns;
  const byUserId1 = indexName(names.friendship.name, 'accepted_by_user_id1_idx');
  const byUserId2 = indexName(names.friendship.name, 'accepted_by_user_id2_idx');
  const lines = [
    '-- The user service tables the presence friend graph reads (PROTOCOL.md), for standalone use',
    '-- and tests. Generated by `schemaSql()` of @presence/postgres; an existing user service',
    '-- database only needs the indexes below.',
  ];
  if (names.schema !== undefined) {
    lines.push('', `CREATE SCHEMA IF NOT EXISTS ${q(names.schema)};`);
  }
  lines.push(
    '',
    `CREATE TABLE IF NOT EXISTS ${names.friendship.sql} (`,
    `  ${q(f.userId1)} VARCHAR,`,
    `  ${q(f.userId2)} VARCHAR,`,
    `  ${q(f.requestedAt)} TIMESTAMP NOT NULL DEFAULT now(),`,
    `  ${q(f.acceptedAt)} TIMESTAMP NULL,`,
    `  PRIMARY KEY (${q(f.userId1)}, ${q(f.userId2)})`,
    ');',
    '',
    '-- Friends in either direction, accepted rows only, covering both ids: each branch of the',
    '-- friend queries is an index-only scan that never reads pending requests or the heap.',
    '-- Required: the user_id2 index (without it, friends who received the request need a full',
    '-- scan). Recommended: the user_id1 index (the primary key also finds them, through the heap).',
    `CREATE INDEX IF NOT EXISTS ${q(byUserId2)}`,
    `  ON ${names.friendship.sql} (${q(f.userId2)}, ${q(f.userId1)})`,
    `  WHERE ${q(f.acceptedAt)} IS NOT NULL;`,
    `CREATE INDEX IF NOT EXISTS ${q(byUserId1)}`,
    `  ON ${names.friendship.sql} (${q(f.userId1)}, ${q(f.userId2)})`,
    `  WHERE ${q(f.acceptedAt)} IS NOT NULL;`,
    '',
    `CREATE TABLE IF NOT EXISTS ${names.user.sql} (`,
    `  ${q(u.userId)} VARCHAR PRIMARY KEY,`,
    `  ${q(u.firstName)} VARCHAR NOT NULL,`,
    `  ${q(u.lastName)} VARCHAR NOT NULL,`,
    `  ${q(u.profileImageExtension)} VARCHAR NULL,`,
    `  ${q(u.shareMode)} VARCHAR NOT NULL DEFAULT 'default_none',`,
    `  ${q(u.domainAllowArray)} VARCHAR[] NOT NULL DEFAULT '{}',`,
    `  ${q(u.domainDenyArray)} VARCHAR[] NOT NULL DEFAULT '{}'`,
    ');',
    '',
  );
  return lines.join('\n');
}
