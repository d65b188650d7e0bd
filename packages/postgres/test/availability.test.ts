import net from 'node:net';
import { ConfigError, GraphUnavailableError, type Logger } from '@presence/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostgresFriendGraph, seedFriendGraph } from '../src/index.js';
import {
  freshSchema,
  postgresAvailable,
  TcpProxy,
  TEST_DATABASE_URL,
  testPool,
} from './helpers.js';

const available = await postgresAvailable('availability.test.ts');

const seed = {
  users: [],
  friendships: [{ from: 'alice', to: 'bob', accepted: true }],
};

function spyLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

function urlThrough(port: number): string {
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

describe.skipIf(!available)('PostgresFriendGraph when PostgreSQL fails', () => {
  const pool = testPool();
  let schema: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshSchema(pool);
    schema = fresh.schema;
    drop = fresh.drop;
    await seedFriendGraph(pool, seed, fresh.names);
  });

  afterAll(async () => {
    await drop?.();
    await pool.end();
  });

  it('reports GraphUnavailableError while PostgreSQL is down, then works again with the same instance', async () => {
    // Prepare: a graph that reaches PostgreSQL through a proxy we can take down.
    const proxy = new TcpProxy();
    await proxy.up();
    const logger = spyLogger();
    const graph = new PostgresFriendGraph({
      connectionString: urlThrough(proxy.port),
      schema,
      logger,
    });
    try {
      expect(await graph.friendsOf('alice')).toEqual(['bob']);

      // Act: PostgreSQL "restarts": every connection is cut and the port refuses connections.
      await proxy.down();
      // The idle pooled connection notices and is dropped; the pool's 'error' event must not
      // crash the process (a bounded wait, not a sleep).
      await vi.waitFor(() => expect(logger.warn).toHaveBeenCalled(), { timeout: 5000 });
      const down = await graph.friendsOf('alice').catch((error: unknown) => error);

      // Assess: a typed error with the driver error as cause, and no personal data in the log.
      expect(GraphUnavailableError.isInstance(down)).toBe(true);
      expect((down as Error).cause).toBeInstanceOf(Error);
      expect(((down as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
      await expect(graph.friendsOfMany(['alice'])).rejects.toSatisfy(
        GraphUnavailableError.isInstance,
      );
      await expect(graph.validateSchema()).rejects.toSatisfy(GraphUnavailableError.isInstance);
      expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('alice');

      // Back up on the same port: the same graph answers at the first try.
      await proxy.up();
      expect(await graph.friendsOf('alice')).toEqual(['bob']);
      expect(await graph.areFriends('bob', 'alice')).toBe(true);
    } finally {
      await graph.close();
      await proxy.down();
    }
  });

  it('translates a connection cut during a query', async () => {
    const proxy = new TcpProxy();
    await proxy.up();
    const graph = new PostgresFriendGraph({ connectionString: urlThrough(proxy.port), schema });
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      // Hold the query on a lock so the cut happens while it runs.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}"."friendship_table" IN ACCESS EXCLUSIVE MODE`);
      const pending = graph.friendsOf('alice').catch((error: unknown) => error);
      await vi.waitFor(
        async () => {
          const { rows } = await pool.query(
            `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = 'friendship_table' AND NOT l.granted`,
            [schema],
          );
          expect(rows[0].waiting).toBeGreaterThan(0);
        },
        { timeout: 5000 },
      );
      await proxy.down();
      const error = await pending;
      expect(GraphUnavailableError.isInstance(error)).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await graph.close();
      await proxy.down();
    }
  });

  it('gives up on a stalled connection after queryTimeoutMs, discards it and recovers', async () => {
    const proxy = new TcpProxy();
    await proxy.up();
    const graph = new PostgresFriendGraph({
      connectionString: urlThrough(proxy.port),
      schema,
      maxConnections: 1,
      queryTimeoutMs: 200,
    });
    try {
      expect(await graph.friendsOf('alice')).toEqual(['bob']);
      // The server never sees a problem: only the client-side timeout can end this query.
      proxy.stall();
      const error = await graph.friendsOf('alice').catch((caught: unknown) => caught);
      expect(GraphUnavailableError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('timeout');
      proxy.resume();
      // The single pooled connection was discarded, so this query runs on a new one.
      expect(await graph.friendsOf('alice')).toEqual(['bob']);
    } finally {
      await graph.close();
      await proxy.down();
    }
  });

  it('turns a statement timeout into GraphUnavailableError, and recovers', async () => {
    // A query blocked on a lock runs until statement_timeout cancels it: an honest slow query.
    const graph = new PostgresFriendGraph({
      connectionString: TEST_DATABASE_URL,
      schema,
      statementTimeoutMs: 100,
    });
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}"."friendship_table" IN ACCESS EXCLUSIVE MODE`);
      const error = await graph.friendsOf('alice').catch((caught: unknown) => caught);
      expect(GraphUnavailableError.isInstance(error)).toBe(true);
      expect(((error as Error).cause as { code?: string }).code).toBe('57014');
      expect((error as Error).message).toContain('57014');
      await locker.query('ROLLBACK');
      expect(await graph.friendsOf('alice')).toEqual(['bob']);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await graph.close();
    }
  });

  it('gives up connecting to a server that never answers after connectionTimeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const graph = new PostgresFriendGraph({
      connectionString: urlThrough(port),
      schema,
      connectionTimeoutMs: 100,
    });
    try {
      const error = await graph.friendsOf('alice').catch((caught: unknown) => caught);
      expect(GraphUnavailableError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('timeout');
    } finally {
      await graph.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('ends the pool it built on close and refuses calls afterwards', async () => {
    const graph = new PostgresFriendGraph({ connectionString: TEST_DATABASE_URL, schema });
    expect(await graph.friendsOf('alice')).toEqual(['bob']);
    const built = graph.pool;
    await graph.close();
    expect(built.ended).toBe(true);
    await expect(graph.friendsOf('alice')).rejects.toSatisfy(GraphUnavailableError.isInstance);
  });

  it('keeps ConfigError for a schema mismatch distinct from an outage', async () => {
    const graph = new PostgresFriendGraph({ pool, schema: `${schema}_absent` });
    await expect(graph.validateSchema()).rejects.toSatisfy(ConfigError.isInstance);
  });
});
