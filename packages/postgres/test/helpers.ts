import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { createSchema, dropSchema, type TableNameOptions } from '../src/index.js';

/** The shared test database (trust auth on loopback). */
export const TEST_DATABASE_URL =
  process.env.PRESENCE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers. Outside CI an unreachable server skips the file with a loud warning;
 * under CI=true it fails the file, so CI can never pass by skipping.
 */
export async function postgresAvailable(file: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 3000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const reason = `PostgreSQL at ${TEST_DATABASE_URL} is unreachable (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${file}: ${reason}; CI requires it`);
    console.warn(`\n!!! ${file}: SKIPPED, ${reason}. Start PostgreSQL to run these tests.\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A random schema name no other suite uses. */
export function randomSchemaName(prefix = 'presence_pg_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A pool on the test database for test set-up (seeding, locks, spying). */
export function testPool(max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max });
  pool.on('error', () => undefined);
  return pool;
}

/** Creates a fresh schema with both tables; `drop` removes it. */
export async function freshSchema(
  pool: pg.Pool,
  options: Omit<TableNameOptions, 'schema'> = {},
): Promise<{ schema: string; names: TableNameOptions; drop: () => Promise<void> }> {
  const schema = randomSchemaName();
  const names = { ...options, schema };
  await createSchema(pool, names);
  return { schema, names, drop: () => dropSchema(pool, schema) };
}

/**
 * A TCP proxy on a loopback port in front of the test server, which the tests take down (closing
 * the listener and killing every piped socket) and bring back up on the same port: PostgreSQL
 * restarts as the client sees it, without touching the shared server.
 */
export class TcpProxy {
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;

  constructor(
    private readonly target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 },
  ) {}

  get port(): number {
    return this.#port;
  }

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Stops forwarding bytes in both directions on open sockets: a stalled network, not a closed one. */
  stall(): void {
    for (const socket of this.#sockets) socket.pause();
  }

  /** Forwards again after {@link stall}. */
  resume(): void {
    for (const socket of this.#sockets) socket.resume();
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
