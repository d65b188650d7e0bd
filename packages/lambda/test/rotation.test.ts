import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PostgresFriendGraph } from '@presence/postgres';
import { RedisPresenceStore } from '@presence/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESENCE_METRICS as M } from '../src/index.js';
import { captureStdout } from './support/emf.js';
import { restEvent, webSocketEvent } from './support/fixtures.js';
import { backendsAvailable, DATABASE_URL } from './support/infra.js';
import { ALICE } from './support/users.js';
import { createWorld, type World } from './support/world.js';

const available = await backendsAvailable('rotation.test.ts');

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/rotation-AbCdEf';
/** A throwaway redis-server of this suite's own (port range 7350-7399), with AUTH. */
const REDIS_PORT = 7351;

/** A secret whose value the test changes, as Secrets Manager rotation does; counts the reads. */
function rotatingSecret(initial: string) {
  let value = initial;
  let reads = 0;
  return {
    set: (next: string) => {
      value = next;
    },
    get reads() {
      return reads;
    },
    read: async () => {
      reads += 1;
      return value;
    },
  };
}

describe.skipIf(!available)('secret rotation under a live runtime (real services)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld('rotation');
  });
  afterAll(() => world.close());

  describe('PostgreSQL: alternating users (the RDS rotation that changes the user)', () => {
    const suffix = randomBytes(4).toString('hex');
    const roleA = `presence_rot_a_${suffix}`;
    const roleB = `presence_rot_b_${suffix}`;
    // The graph's pool, used as a plain admin connection.
    let graph: PostgresFriendGraph;
    let admin: PostgresFriendGraph['pool'];

    beforeAll(async () => {
      graph = new PostgresFriendGraph({ connectionString: DATABASE_URL });
      admin = graph.pool;
      const schema = world.env.DB_SCHEMA;
      for (const role of [roleA, roleB]) {
        await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'p-${role}'`);
        await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
        await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
      }
    });
    afterAll(async () => {
      for (const role of [roleA, roleB]) {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`,
        );
        await admin.query(
          `REVOKE ALL ON ALL TABLES IN SCHEMA "${world.env.DB_SCHEMA}" FROM ${role}`,
        );
        await admin.query(`REVOKE ALL ON SCHEMA "${world.env.DB_SCHEMA}" FROM ${role}`);
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
      }
      await graph.close();
    });

    it('drops the graph when PostgreSQL refuses the login (28000), reads the secret once more, and answers', async () => {
      // Prepare: the runtime reads user A from the secret on its first call.
      const secret = rotatingSecret(
        JSON.stringify({ username: roleA, password: `p-${roleA}`, dbname: 'test' }),
      );
      const { handlers } = world.variant(
        {
          DATABASE_URL: undefined,
          DB_CONNECTION: 'secret',
          DB_HOST: '127.0.0.1',
          DB_SECRET_ARN: SECRET_ARN,
          DB_SSL: 'disable',
          METRICS: 'emf',
        },
        { readSecret: secret.read },
      );
      const call = () =>
        handlers.getPresence(restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }));
      expect((await call()).statusCode).toBe(200);
      expect(secret.reads).toBe(1);
      // Act: rotation to user B; user A may no longer log in (its live connection stays open, as
      // RDS leaves them). Two calls at once: one reuses the idle connection, the other must open
      // a new one as A and is refused.
      secret.set(JSON.stringify({ username: roleB, password: `p-${roleB}`, dbname: 'test' }));
      await admin.query(`ALTER ROLE ${roleA} NOLOGIN`);
      const stdout = captureStdout();
      const answers = await Promise.all([call(), call()]);
      stdout.restore();
      // Assess: both answered, the secret was read once more, and the rotation was counted.
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      expect(secret.reads).toBe(2);
      expect(stdout.total(M.credentialRefreshes, 'get-presence')).toBe(1);
      const { rows } = await admin.query<{ usename: string }>(
        `SELECT usename FROM pg_stat_activity WHERE usename IN ('${roleA}', '${roleB}')`,
      );
      expect(rows.map((r) => r.usename)).toContain(roleB);
      expect(world.logs.some((l) => l.code === 'auth_failed' && l.op === 'postgres')).toBe(true);
    });
  });

  describe('Redis: AUTH token changed (CONFIG SET requirepass)', () => {
    let server: ChildProcess;
    /** ioredis clients, through the store that owns them. */
    const client = (password: string) =>
      new RedisPresenceStore({ url: `redis://:${password}@127.0.0.1:${REDIS_PORT}` });
    let admin: RedisPresenceStore;
    const prefix = `presence-rotation-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      server = spawn(
        'redis-server',
        [
          '--port',
          String(REDIS_PORT),
          '--bind',
          '127.0.0.1',
          '--requirepass',
          'first-token',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      // Ready when it says so (bounded by the hook timeout).
      for await (const chunk of server.stdout ?? []) {
        if (String(chunk).includes('Ready to accept connections')) break;
      }
      admin = client('first-token');
    }, 30_000);
    afterAll(async () => {
      await admin?.close();
      server?.kill('SIGTERM');
      if (server && server.exitCode === null) await once(server, 'exit');
    });

    it('rebuilds the client when Redis refuses the token (WRONGPASS), reading the secret once more', async () => {
      // Prepare: the runtime reads the first token on its first call.
      const secret = rotatingSecret('first-token');
      const { handlers } = world.variant(
        {
          REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
          REDIS_AUTH: 'secret',
          REDIS_AUTH_SECRET_ARN: SECRET_ARN,
          REDIS_KEY_PREFIX: prefix,
          METRICS: 'emf',
        },
        { readSecret: secret.read },
      );
      const connectionId = 'CmRotUIAMCJ5w=';
      const connect = () =>
        handlers.connect(webSocketEvent('websocket-connect', { userId: ALICE, connectionId }));
      expect(await connect()).toEqual({ statusCode: 200 });
      expect(secret.reads).toBe(1);
      // Act: the token rotates; the server drops the runtime's connection (as a failover or an
      // idle timeout would), so the client reconnects with the token it has.
      secret.set('second-token');
      await admin.client.config('SET', 'requirepass', 'second-token');
      await admin.client.client('KILL', 'SKIPME', 'yes');
      const stdout = captureStdout();
      const answers: Awaited<ReturnType<typeof connect>>[] = [];
      // The first call after the kill may meet the dying socket (a 503 of its own, not an auth
      // failure); the one after reconnects, is refused, and rotates. Three calls bound it.
      const ok = () => JSON.stringify(answers.at(-1)) === JSON.stringify({ statusCode: 200 });
      for (let i = 0; i < 3 && !ok(); i += 1) answers.push(await connect());
      stdout.restore();
      // Assess
      expect(answers.at(-1)).toEqual({ statusCode: 200 });
      expect(secret.reads).toBe(2);
      expect(stdout.total(M.credentialRefreshes, 'connect')).toBe(1);
      const reader = client('second-token');
      expect(await reader.client.keys(`${prefix}*`)).not.toEqual([]);
      await reader.close();
    });
  });
});
