import { readFileSync } from 'node:fs';
import { ConfigError, GraphUnavailableError, InvalidInputError } from '@presence/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  describeDriverError,
  POOL_DEFAULTS,
  PostgresFriendGraph,
  poolConfigOf,
  quoteIdentifier,
  resolveNames,
  schemaSql,
  sharingSettingsFromRow,
  toGraphUnavailable,
} from '../src/index.js';

describe('schema.sql', () => {
  it('is exactly what schemaSql() generates for the PROTOCOL.md names', () => {
    const shipped = readFileSync(new URL('../sql/schema.sql', import.meta.url), 'utf8');
    expect(shipped).toBe(schemaSql(resolveNames()));
  });
});

describe('names', () => {
  it('quotes identifiers, doubling embedded quotes', () => {
    expect(quoteIdentifier('user_table')).toBe('"user_table"');
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
  });

  it.each([
    ['empty', ''],
    ['NUL', 'a\u0000b'],
    ['longer than 63 bytes', 'é'.repeat(32)],
  ])('rejects a name that is %s with ConfigError', (_, name) => {
    expect(() => new PostgresFriendGraph({ tables: { user: name } })).toThrow(ConfigError);
    expect(() => new PostgresFriendGraph({ schema: name })).toThrow(ConfigError);
    expect(() => new PostgresFriendGraph({ columns: { user: { shareMode: name } } })).toThrow(
      /columns\.user\.shareMode/,
    );
  });

  it('qualifies tables with the schema and keeps defaults for unset columns', () => {
    const names = resolveNames({
      schema: 'S',
      tables: { friendship: 'f' },
      columns: { user: { userId: 'id' } },
    });
    expect(names.friendship.sql).toBe('"S"."f"');
    expect(names.user.sql).toBe('"S"."user_table"');
    expect(names.userColumns.userId).toBe('id');
    expect(names.userColumns.firstName).toBe('first_name');
  });

  it('builds queries from the configured names only', () => {
    const graph = new PostgresFriendGraph({
      tables: { friendship: 'friends' },
      columns: { friendship: { userId1: 'requester', acceptedAt: 'accepted' } },
    });
    expect(graph.queries.friendsOf).toContain('"friends"');
    expect(graph.queries.friendsOf).toContain('f."requester" = $1');
    expect(graph.queries.friendsOf).toContain('f."accepted" IS NOT NULL');
    expect(graph.queries.friendsOf).not.toContain('user_id1');
  });
});

describe('pool options', () => {
  it('defaults to a small pool with a statement timeout, suited to Lambda', () => {
    const config = poolConfigOf({ connectionString: 'postgres://u@h/db' });
    expect(config).toMatchObject({
      connectionString: 'postgres://u@h/db',
      max: POOL_DEFAULTS.maxConnections,
      statement_timeout: POOL_DEFAULTS.statementTimeoutMs,
      query_timeout: POOL_DEFAULTS.statementTimeoutMs + 1000,
      idleTimeoutMillis: POOL_DEFAULTS.idleTimeoutMs,
      connectionTimeoutMillis: POOL_DEFAULTS.connectionTimeoutMs,
      allowExitOnIdle: true,
    });
    expect(POOL_DEFAULTS.maxConnections).toBe(2);
    expect(config.ssl).toBeUndefined();
  });

  it('passes TLS options through and lets statementTimeoutMs 0 disable the timeout', () => {
    const ssl = { rejectUnauthorized: true, ca: 'PEM' };
    const config = poolConfigOf({ ssl, statementTimeoutMs: 0, maxConnections: 1 });
    expect(config.ssl).toBe(ssl);
    expect(config.statement_timeout).toBe(false);
    expect(config.max).toBe(1);
  });

  it.each([
    [{ statementTimeoutMs: -1 }],
    [{ maxConnections: 0 }],
    [{ idleTimeoutMs: 1.5 }],
    [{ iamAuth: { region: 'eu-west-1', hostname: '', username: 'u' } }],
  ])('rejects malformed options %j with ConfigError', (options) => {
    expect(() => poolConfigOf(options)).toThrow(ConfigError);
  });

  it('signs a fresh IAM token per connection and turns TLS on', async () => {
    const config = poolConfigOf({
      iamAuth: {
        region: 'eu-west-1',
        hostname: 'presence.proxy-abc.eu-west-1.rds.amazonaws.com',
        port: 5432,
        username: 'presence_reader',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
      },
      poolConfig: { database: 'users' },
    });
    expect(config.user).toBe('presence_reader');
    expect(config.host).toBe('presence.proxy-abc.eu-west-1.rds.amazonaws.com');
    expect(config.database).toBe('users');
    expect(config.ssl).toBe(true);
    expect(typeof config.password).toBe('function');
    const token = await (config.password as () => Promise<string>)();
    expect(token).toMatch(/^presence\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?/);
    expect(token).toContain('Action=connect');
    expect(token).toContain('DBUser=presence_reader');
  });

  it('refuses a given pool together with pool-building options', () => {
    const pool = new pg.Pool();
    expect(() => new PostgresFriendGraph({ pool, statementTimeoutMs: 10 })).toThrow(
      /statementTimeoutMs/,
    );
  });

  it('connects nothing at construction', async () => {
    const graph = new PostgresFriendGraph({ connectionString: 'postgres://u@127.0.0.1:1/db' });
    expect(graph.pool.totalCount).toBe(0);
    await graph.close();
  });

  it('builds no pool once closed', async () => {
    const graph = new PostgresFriendGraph({ connectionString: 'postgres://u@127.0.0.1:1/db' });
    await graph.close();
    expect(() => graph.pool).toThrow(GraphUnavailableError);
  });
});

describe('sharing settings', () => {
  it('reads an unknown or missing share_mode as sharing nothing', () => {
    for (const mode of ['share_all', 'DEFAULT_ALL', '', null]) {
      expect(
        sharingSettingsFromRow({
          share_mode: mode,
          domain_allow_array: ['github.com'],
          domain_deny_array: ['bank.com'],
        }),
      ).toEqual({ shareMode: 'default_none', domainAllowList: [], domainDenyList: ['bank.com'] });
    }
  });

  it('treats null lists and null elements as absent', () => {
    expect(
      sharingSettingsFromRow({
        share_mode: 'default_all',
        domain_allow_array: null,
        domain_deny_array: ['a.com', null],
      }),
    ).toEqual({ shareMode: 'default_all', domainAllowList: [], domainDenyList: ['a.com'] });
  });
});

describe('error translation', () => {
  it('wraps driver errors, keeping the cause and leaving values out of the message', () => {
    const driver = Object.assign(new Error('invalid input syntax: "secret-user-id"'), {
      code: '22P02',
    });
    const error = toGraphUnavailable('friendsOf', driver);
    expect(GraphUnavailableError.isInstance(error)).toBe(true);
    expect(error.cause).toBe(driver);
    expect(error.message).toContain('SQLSTATE 22P02');
    expect(error.message).not.toContain('secret-user-id');
  });

  it('passes presence errors through unchanged', () => {
    const invalid = new InvalidInputError('userId must be a non-empty string');
    expect(toGraphUnavailable('friendsOf', invalid)).toBe(invalid);
  });

  it('names common failures', () => {
    expect(describeDriverError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED',
    );
    expect(describeDriverError(Object.assign(new Error('x'), { code: '57014' }))).toContain(
      'statement timeout',
    );
    expect(describeDriverError(Object.assign(new Error('x'), { code: '08006' }))).toContain(
      'connection failure',
    );
    expect(describeDriverError(new Error('Query read timeout'))).toBe('timeout');
    expect(describeDriverError(new Error('Connection terminated unexpectedly'))).toBe(
      'connection closed',
    );
  });
});
