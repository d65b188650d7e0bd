import { createHash } from 'node:crypto';
import {
  ConfigError,
  DEFAULT_LIMITS,
  type FriendGraph,
  type FriendsAndSettings,
  type FriendsWithProfiles,
  GraphUnavailableError,
  InvalidInputError,
  type Logger,
  type PresenceLimits,
  type SharingSettings,
  type UserProfile,
} from '@presence/core';
import type pg from 'pg';
import { createPool, type PoolOptions } from './create-pool.js';
import { type ResolvedNames, resolveNames, type TableNameOptions } from './names.js';
import { checkSchema } from './schema.js';
import { buildQueries, type FriendGraphQueries } from './sql.js';
import { describeDriverError, toGraphUnavailable } from './translate-error.js';

/** Options of {@link PostgresFriendGraph}: a pool or how to build one, and where the tables are. */
export interface PostgresFriendGraphOptions extends PoolOptions, TableNameOptions {
  /**
   * A pool you own: the graph uses it and never ends it. Pool-building options must then be absent.
   * @default - a pool built lazily from the other options on the first query
   */
  readonly pool?: pg.Pool;
  /** Id limits applied to every id before it reaches SQL. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
  /** Receives pool errors (idle connections dropped by the server) at `warn`, code only. */
  readonly logger?: Logger;
  /**
   * Run each query as a named prepared statement, parsed and planned once per connection: measured
   * here at 1.6-1.9x the throughput of unnamed statements for get-presence's two queries. Leave it
   * off behind RDS Proxy (a prepared statement pins the session, defeating the multiplexing) and
   * behind PgBouncer in transaction mode before 1.21; turn it on for direct connections.
   * @default false
   */
  readonly preparedStatements?: boolean;
}

const POOL_BUILDING_OPTIONS = [
  'connectionString',
  'poolConfig',
  'ssl',
  'iamAuth',
  'statementTimeoutMs',
  'queryTimeoutMs',
  'connectionTimeoutMs',
  'maxConnections',
  'idleTimeoutMs',
] as const;

interface FriendRow {
  friend_id: string;
}
interface FriendsOfManyRow {
  user_id: string;
  friend_ids: string[];
}
interface ProfileRow {
  user_id: string;
  first_name: string;
  last_name: string;
  profile_image_extension: string | null;
}
interface SharingRow {
  share_mode: string | null;
  domain_allow_array: unknown;
  domain_deny_array: unknown;
}
interface FriendsAndSettingsRow extends SharingRow {
  known: boolean;
  friend_ids: string[] | null;
}
interface FriendWithProfileRow extends SharingRow {
  user_id: string;
  is_friend: boolean;
  known: boolean;
  first_name: string | null;
  last_name: string | null;
  profile_image_extension: string | null;
}

/**
 * Checks an id before it reaches SQL: a string of 1 to `maxUserIdLength` characters, without NUL
 * (PostgreSQL text cannot hold it) and without lone surrogates (UTF-8 encoding would silently turn
 * them into U+FFFD and query another id). Deliberately looser than core's `assertUserId`: whitespace
 * and `/` break Redis keys and routes, not SQL, and the service checks callers' ids at its edge;
 * the graph answers for any id the user service may hold (the conformance suite uses one with spaces).
 * @throws InvalidInputError naming the field
 */
export function assertGraphUserId(
  value: unknown,
  field = 'userId',
  limits: PresenceLimits = DEFAULT_LIMITS,
): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError(`${field} must be a non-empty string`);
  }
  if (value.length > limits.maxUserIdLength) {
    throw new InvalidInputError(`${field} is longer than ${limits.maxUserIdLength} characters`);
  }
  if (value.includes('\u0000') || !value.isWellFormed()) {
    throw new InvalidInputError(`${field} contains NUL or a lone surrogate`);
  }
  return value;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/**
 * Maps a stored row to settings. A `share_mode` other than `default_all` / `default_none` (a mode
 * added later, a typo) shares nothing: the extension shares neither under such a mode, so the
 * server must not either. It becomes `default_none` with an empty allow list.
 */
export function sharingSettingsFromRow(row: SharingRow): SharingSettings {
  const allow = strings(row.domain_allow_array);
  const deny = strings(row.domain_deny_array);
  if (row.share_mode === 'default_all') {
    return { shareMode: 'default_all', domainAllowList: allow, domainDenyList: deny };
  }
  if (row.share_mode === 'default_none') {
    return { shareMode: 'default_none', domainAllowList: allow, domainDenyList: deny };
  }
  return { shareMode: 'default_none', domainAllowList: [], domainDenyList: deny };
}

/**
 * {@link FriendGraph} on the user service's PostgreSQL tables (PROTOCOL.md): read only, parameterised
 * SQL, one query per call, driver errors as {@link GraphUnavailableError}.
 * @example
 * const graph = new PostgresFriendGraph({ connectionString: process.env.DATABASE_URL });
 * await graph.validateSchema();
 * const friends = await graph.friendsOf('alice');
 */
export class PostgresFriendGraph implements FriendGraph {
  /** The validated table and column names. */
  readonly names: ResolvedNames;
  /** The SQL of every query, for logs, EXPLAIN and benchmarks. */
  readonly queries: FriendGraphQueries;
  readonly #options: PostgresFriendGraphOptions;
  readonly #ownsPool: boolean;
  readonly #limits: PresenceLimits;
  /** Statement name of each query's text, when prepared statements are on. */
  readonly #statementNames: ReadonlyMap<string, string> | undefined;
  #pool: pg.Pool | undefined;
  #closed = false;

  /** Validates names and options; connects nothing. @throws ConfigError */
  constructor(options: PostgresFriendGraphOptions = {}) {
    if (options.pool !== undefined) {
      const ignored = POOL_BUILDING_OPTIONS.filter((key) => options[key] !== undefined);
      if (ignored.length > 0) {
        throw new ConfigError(
          `PostgresFriendGraph got a pool and pool-building options (${ignored.join(', ')}); configure the pool instead`,
        );
      }
    }
    this.names = resolveNames(options);
    this.queries = buildQueries(this.names);
    this.#options = options;
    this.#ownsPool = options.pool === undefined;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#statementNames =
      options.preparedStatements === true ? statementNames(this.queries) : undefined;
    if (options.pool !== undefined) this.#adopt(options.pool);
  }

  /** The pool (built on first access when the graph owns it). Benchmarks and schema helpers use it. */
  get pool(): pg.Pool {
    if (this.#pool === undefined) {
      if (this.#closed) throw new GraphUnavailableError('PostgreSQL friend graph is closed');
      this.#adopt(createPool(this.#options));
    }
    return this.#pool as pg.Pool;
  }

  #adopt(pool: pg.Pool): void {
    // An idle connection the server or a proxy drops emits 'error' on the pool; without a listener
    // Node would crash the process. The pool already discarded the connection: log and go on.
    pool.on('error', (error) => {
      this.#options.logger?.warn(
        { reason: describeDriverError(error) },
        'postgres friend graph: idle connection lost',
      );
    });
    this.#pool = pool;
  }

  async #query<R extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[],
  ): Promise<R[]> {
    if (this.#closed) throw new GraphUnavailableError('PostgreSQL friend graph is closed');
    try {
      const name = this.#statementNames?.get(text);
      const result =
        name === undefined
          ? await this.pool.query<R>(text, values)
          : await this.pool.query<R>({ name, text, values });
      return result.rows;
    } catch (error) {
      throw toGraphUnavailable(operation, error);
    }
  }

  #ids(userIds: readonly string[]): string[] {
    if (!Array.isArray(userIds)) throw new InvalidInputError('userIds must be an array');
    const unique = new Set<string>();
    userIds.forEach((id, index) => {
      unique.add(assertGraphUserId(id, `userIds[${index}]`, this.#limits));
    });
    return [...unique];
  }

  /**
   * Checks that every configured table and column exists, has a usable type and is readable. Call
   * it at start-up (a Lambda cold start) so a mismatch fails there and not on the first request.
   * @throws ConfigError naming every missing table and column at once
   * @throws GraphUnavailableError when PostgreSQL cannot be reached
   */
  async validateSchema(): Promise<void> {
    if (this.#closed) throw new GraphUnavailableError('PostgreSQL friend graph is closed');
    try {
      await checkSchema(this.pool, this.names);
    } catch (error) {
      throw toGraphUnavailable('validateSchema', error);
    }
  }

  /** Accepted friends of one user, either direction, deduplicated, never the user. */
  async friendsOf(userId: string): Promise<string[]> {
    const id = assertGraphUserId(userId, 'userId', this.#limits);
    const rows = await this.#query<FriendRow>('friendsOf', this.queries.friendsOf, [id]);
    return rows.map((row) => row.friend_id);
  }

  /** Accepted friends of many users in one query; every requested id has an entry (maybe empty). */
  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const ids = this.#ids(userIds);
    const result = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return result;
    const rows = await this.#query<FriendsOfManyRow>('friendsOfMany', this.queries.friendsOfMany, [
      ids,
    ]);
    for (const row of rows) result.set(row.user_id, row.friend_ids);
    return result;
  }

  /** Whether two users are accepted friends in either direction; a user is never their own friend. */
  async areFriends(userId: string, otherUserId: string): Promise<boolean> {
    const a = assertGraphUserId(userId, 'userId', this.#limits);
    const b = assertGraphUserId(otherUserId, 'otherUserId', this.#limits);
    if (a === b) return false;
    const rows = await this.#query<{ friends: boolean }>('areFriends', this.queries.areFriends, [
      a,
      b,
    ]);
    return rows[0]?.friends === true;
  }

  /** Profiles of the given users in one query; unknown ids are absent. */
  async profilesOf(userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    const ids = this.#ids(userIds);
    const result = new Map<string, UserProfile>();
    if (ids.length === 0) return result;
    const rows = await this.#query<ProfileRow>('profilesOf', this.queries.profilesOf, [ids]);
    for (const row of rows) {
      result.set(row.user_id, {
        userId: row.user_id,
        firstName: row.first_name,
        lastName: row.last_name,
        profileImageExtension: row.profile_image_extension,
      });
    }
    return result;
  }

  /**
   * A user's sharing settings; `undefined` when the user is unknown. An unknown `share_mode` reads
   * as sharing nothing (see {@link sharingSettingsFromRow}).
   */
  async sharingSettingsOf(userId: string): Promise<SharingSettings | undefined> {
    const id = assertGraphUserId(userId, 'userId', this.#limits);
    const rows = await this.#query<SharingRow>(
      'sharingSettingsOf',
      this.queries.sharingSettingsOf,
      [id],
    );
    const row = rows[0];
    return row === undefined ? undefined : sharingSettingsFromRow(row);
  }

  /**
   * A user's accepted friends and sharing settings in one query (update-presence): the primary-key
   * lookup of the user's row beside the two index-only friend scans.
   */
  async friendsAndSettingsOf(userId: string): Promise<FriendsAndSettings> {
    const id = assertGraphUserId(userId, 'userId', this.#limits);
    const rows = await this.#query<FriendsAndSettingsRow>(
      'friendsAndSettingsOf',
      this.queries.friendsAndSettingsOf,
      [id],
    );
    const row = rows[0];
    return {
      friends: row?.friend_ids ?? [],
      settings: row?.known === true ? sharingSettingsFromRow(row) : undefined,
    };
  }

  /**
   * A user's accepted friends with the profiles and sharing settings of the user and the friends in
   * one query (`GET /presence`): the friend scans joined to the user table by primary key.
   */
  async friendsWithProfilesOf(userId: string): Promise<FriendsWithProfiles> {
    const id = assertGraphUserId(userId, 'userId', this.#limits);
    const rows = await this.#query<FriendWithProfileRow>(
      'friendsWithProfilesOf',
      this.queries.friendsWithProfilesOf,
      [id],
    );
    const friends: string[] = [];
    const profiles = new Map<string, UserProfile>();
    const settings = new Map<string, SharingSettings>();
    for (const row of rows) {
      if (row.is_friend) friends.push(row.user_id);
      if (row.known) {
        profiles.set(row.user_id, {
          userId: row.user_id,
          firstName: row.first_name ?? '',
          lastName: row.last_name ?? '',
          profileImageExtension: row.profile_image_extension,
        });
        settings.set(row.user_id, sharingSettingsFromRow(row));
      }
    }
    return { friends, profiles, settings };
  }

  /** Ends the pool if the graph built it (a given pool is left to its owner). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool && this.#pool !== undefined) await this.#pool.end();
  }
}

/**
 * A statement name per query text, derived from the text, so that graphs with other tables sharing
 * one pool (and so one connection's statement cache) never reuse a name for different SQL.
 */
function statementNames(queries: FriendGraphQueries): Map<string, string> {
  const names = new Map<string, string>();
  for (const [operation, text] of Object.entries(queries) as Array<[string, string]>) {
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    names.set(text, `presence_${operation}_${digest}`);
  }
  return names;
}
