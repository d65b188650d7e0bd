import { ConfigError } from '@presence/core';

/** Column names of the friendship table (`user_id1` requested, `user_id2` received). */
export interface FriendshipColumns {
  /** @default 'user_id1' */
  readonly userId1: string;
  /** @default 'user_id2' */
  readonly userId2: string;
  /** @default 'requested_at' */
  readonly requestedAt: string;
  /** @default 'accepted_at' */
  readonly acceptedAt: string;
}

/** Column names of the user table that the graph reads. */
export interface UserColumns {
  /** @default 'user_id' */
  readonly userId: string;
  /** @default 'first_name' */
  readonly firstName: string;
  /** @default 'last_name' */
  readonly lastName: string;
  /** @default 'profile_image_extension' */
  readonly profileImageExtension: string;
  /** @default 'share_mode' */
  readonly shareMode: string;
  /** @default 'domain_allow_array' */
  readonly domainAllowArray: string;
  /** @default 'domain_deny_array' */
  readonly domainDenyArray: string;
}

/** Where the user service keeps its tables, when it is not the PROTOCOL.md layout. */
export interface TableNameOptions {
  /** Schema holding both tables. @default - unqualified names, resolved through the `search_path` */
  readonly schema?: string;
  /** Table names. @default { friendship: 'friendship_table', user: 'user_table' } */
  readonly tables?: { readonly friendship?: string; readonly user?: string };
  /** Column names; any subset, the rest keep their PROTOCOL.md names. */
  readonly columns?: {
    readonly friendship?: Partial<FriendshipColumns>;
    readonly user?: Partial<UserColumns>;
  };
}

/** The table and column names the PROTOCOL.md layout uses. */
export const DEFAULT_TABLE_NAMES = Object.freeze({
  tables: Object.freeze({ friendship: 'friendship_table', user: 'user_table' }),
  columns: Object.freeze({
    friendship: Object.freeze({
      userId1: 'user_id1',
      userId2: 'user_id2',
      requestedAt: 'requested_at',
      acceptedAt: 'accepted_at',
    } satisfies FriendshipColumns),
    user: Object.freeze({
      userId: 'user_id',
      firstName: 'first_name',
      lastName: 'last_name',
      profileImageExtension: 'profile_image_extension',
      shareMode: 'share_mode',
      domainAllowArray: 'domain_allow_array',
      domainDenyArray: 'domain_deny_array',
    } satisfies UserColumns),
  }),
});

/** A validated table: its raw parts (for catalog checks) and its quoted SQL form. */
export interface ResolvedTable {
  readonly schema: string | undefined;
  readonly name: string;
  /** Quoted, schema-qualified when a schema is set: safe to splice into SQL. */
  readonly sql: string;
}

/** Every name the queries use, validated, with quoted SQL forms. */
export interface ResolvedNames {
  readonly schema: string | undefined;
  readonly friendship: ResolvedTable;
  readonly user: ResolvedTable;
  readonly friendshipColumns: FriendshipColumns;
  readonly userColumns: UserColumns;
}

// PostgreSQL silently truncates identifiers to NAMEDATALEN - 1 bytes, which would make us query
// a different name than the one configured: refuse instead.
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Quotes one identifier for PostgreSQL (`"a""b"`), after checking it is 1-63 bytes without NUL.
 * Quoted names are case-sensitive: `Users` and `users` are different tables.
 * @throws ConfigError naming the option
 */
export function quoteIdentifier(name: string, option = 'identifier'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigError(`${option} must be a non-empty string`);
  }
  if (name.includes('\u0000')) {
    throw new ConfigError(`${option} must not contain NUL characters`);
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new ConfigError(
      `${option} "${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL would truncate it)`,
    );
  }
  return `"${name.replace(/"/g, '""')}"`;
}

function table(schema: string | undefined, name: string, option: string): ResolvedTable {
  const quoted = quoteIdentifier(name, option);
  return {
    schema,
    name,
    sql: schema === undefined ? quoted : `${quoteIdentifier(schema, 'schema')}.${quoted}`,
  };
}

function columns<T extends object>(defaults: T, given: Partial<T> | undefined, option: string): T {
  const merged = { ...defaults, ...(given ?? {}) } as T;
  for (const [key, value] of Object.entries(merged)) quoteIdentifier(value, `${option}.${key}`);
  return Object.freeze(merged);
}

/**
 * Merges configured names over the PROTOCOL.md defaults and validates every one.
 * @throws ConfigError naming the first malformed option
 */
export function resolveNames(options: TableNameOptions = {}): ResolvedNames {
  const schema = options.schema;
  if (schema !== undefined) quoteIdentifier(schema, 'schema');
  return Object.freeze({
    schema,
    friendship: table(
      schema,
      options.tables?.friendship ?? DEFAULT_TABLE_NAMES.tables.friendship,
      'tables.friendship',
    ),
    user: table(schema, options.tables?.user ?? DEFAULT_TABLE_NAMES.tables.user, 'tables.user'),
    friendshipColumns: columns(
      DEFAULT_TABLE_NAMES.columns.friendship,
      options.columns?.friendship,
      'columns.friendship',
    ),
    userColumns: columns(DEFAULT_TABLE_NAMES.columns.user, options.columns?.user, 'columns.user'),
  });
}

/** Shorthand used by the SQL builders: a quoted column name. */
export const q = (name: string): string => quoteIdentifier(name);
