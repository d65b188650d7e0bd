import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { FriendGraphSeed } from '@presence/core';
import { createSchema, dropSchema, PostgresFriendGraph, seedFriendGraph } from '@presence/postgres';
import { RedisPresenceStore } from '@presence/redis';

/** The shared test services (loopback; shared with concurrent suites: never flush them). */
export const REDIS_URL = process.env.PRESENCE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL =
  process.env.PRESENCE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url: string, fallbackPort: number): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || fallbackPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error) => resolve(error.message));
  });
}

/**
 * Whether Redis and PostgreSQL answer. Outside CI an unreachable one skips the file with a loud
 * warning; under CI=true it fails the file, so CI can never pass by skipping.
 */
export async function backendsAvailable(file: string): Promise<boolean> {
  const problems = (
    await Promise.all([
      reachable(REDIS_URL, 6379).then((why) => why && `Redis at ${REDIS_URL}: ${why}`),
      reachable(DATABASE_URL, 5432).then((why) => why && `PostgreSQL at ${DATABASE_URL}: ${why}`),
    ])
  ).filter((problem): problem is string => typeof problem === 'string');
  if (problems.length === 0) return true;
  const reason = problems.join('; ');
  if (process.env.CI === 'true') throw new Error(`${file}: ${reason}; CI requires them`);
  console.warn(
    `\n!!! ${file}: SKIPPED, ${reason}. Start Redis and PostgreSQL to run these tests.\n`,
  );
  return false;
}

/** A Redis key prefix no other suite uses. */
export function freshPrefix(label: string): string {
  return `presence-lambda-test:${label}:${randomBytes(6).toString('hex')}`;
}

/** A store on the shared Redis under `prefix`, for inspection and clean-up (SCAN + UNLINK of the prefix). */
export function inspectionStore(prefix: string): RedisPresenceStore {
  return new RedisPresenceStore({ url: REDIS_URL, keyPrefix: prefix });
}

/** A fresh schema on the test database seeded with `seed`; `drop` removes it. */
export async function freshDatabase(
  seed: FriendGraphSeed,
): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `presence_lambda_test_${randomBytes(6).toString('hex')}`;
  const admin = new PostgresFriendGraph({ connectionString: DATABASE_URL });
  await createSchema(admin.pool, { schema });
  await seedFriendGraph(admin.pool, seed, { schema });
  return {
    schema,
    drop: async () => {
      await dropSchema(admin.pool, schema);
      await admin.close();
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
