import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError } from '@presence/core';
import { DynamoDbActivityLog } from '@presence/dynamodb';
import { clearStore } from '@presence/redis/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ConfigGroupName,
  type FunctionEnv,
  groupsOf,
  type PresenceFunctionName,
} from '../src/index.js';
import { dynamoEndpoint, dynamoUnavailable, freshActivityTable } from './support/dynamo.js';
import { restEvent } from './support/fixtures.js';
import {
  backendsAvailable,
  DATABASE_URL,
  freshDatabase,
  freshPrefix,
  inspectionStore,
  REDIS_URL,
} from './support/infra.js';
import { ALICE, BOB, SEED } from './support/users.js';

const run = promisify(execFile);

type FunctionModule = { handler: (...args: unknown[]) => Promise<unknown> };

/** Every bundled function's source module, imported afresh after vi.resetModules(). */
const FUNCTIONS: Record<string, () => Promise<FunctionModule>> = {
  authorizer: () => import('../src/functions/authorizer.js') as Promise<FunctionModule>,
  connect: () => import('../src/functions/connect.js') as Promise<FunctionModule>,
  heartbeat: () => import('../src/functions/heartbeat.js') as Promise<FunctionModule>,
  'update-presence': () => import('../src/functions/update-presence.js') as Promise<FunctionModule>,
  disconnect: () => import('../src/functions/disconnect.js') as Promise<FunctionModule>,
  default: () => import('../src/functions/default.js') as Promise<FunctionModule>,
  timeout: () => import('../src/functions/timeout.js') as Promise<FunctionModule>,
  'get-presence': () => import('../src/functions/get-presence.js') as Promise<FunctionModule>,
  'get-user-presence': () =>
    import('../src/functions/get-user-presence.js') as Promise<FunctionModule>,
  'graph-changed': () => import('../src/functions/graph-changed.js') as Promise<FunctionModule>,
  'get-activity': () => import('../src/functions/get-activity.js') as Promise<FunctionModule>,
  'delete-activity': () => import('../src/functions/delete-activity.js') as Promise<FunctionModule>,
};

/** A deployed environment with a mistake in every group. */
const BAD_ENV = {
  PRESENCE_TIMEOUT_SECONDS: 'three minutes',
  PRESENCE_SWEEP_BATCH_SIZE: '0',
  REDIS_URL: 'http://cache.internal:6379',
  DB_CONNECTION: 'secret',
  DB_HOST: 'db.internal',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/db-AbCdEf',
  DB_SSL: 'prefer',
  AUTH_PROVIDER: 'auth0',
  WEBSOCKET_CALLBACK_URL: 'ftp://gateway',
  CORS_ALLOWED_ORIGINS: 'not an origin',
  LOG_LEVEL: 'verbose',
  PRESENCE_FRIEND_CACHE_SECONDS: 'forever',
  ACTIVITY_TABLE_NAME: 'no',
};
/** The variable each group names in its problem. */
const PROBLEM_OF: Record<ConfigGroupName | 'observability', string> = {
  presence: 'PRESENCE_TIMEOUT_SECONDS',
  sweep: 'PRESENCE_SWEEP_BATCH_SIZE',
  redis: 'REDIS_URL',
  database: 'DB_SSL',
  identity: 'AUTH_PROVIDER',
  gateway: 'WEBSOCKET_CALLBACK_URL',
  cors: 'CORS_ALLOWED_ORIGINS',
  observability: 'LOG_LEVEL',
  friendCache: 'PRESENCE_FRIEND_CACHE_SECONDS',
  activity: 'ACTIVITY_TABLE_NAME',
};

/** The problems one function names, and those it must not (another function's variables). */
function problemsFor(name: PresenceFunctionName): { named: string[]; unnamed: string[] } {
  const own = new Set<string>([...groupsOf(name), 'observability']);
  const entries = Object.entries(PROBLEM_OF);
  return {
    named: entries.filter(([group]) => own.has(group)).map(([, variable]) => variable),
    unnamed: entries.filter(([group]) => !own.has(group)).map(([, variable]) => variable),
  };
}

const expectOwnProblems = (name: string, message: string | undefined) => {
  const { named, unnamed } = problemsFor(name as PresenceFunctionName);
  for (const variable of named) expect(message, name).toContain(variable);
  for (const variable of unnamed) expect(message, name).not.toContain(variable);
};

describe('function modules (src/functions/<name>.ts): lazily built, once per container', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.each(Object.keys(FUNCTIONS))(
    '%s exports a handler and fails its first invocation with one ConfigError naming every problem of its own variables, and none of the others',
    async (name) => {
      // Prepare: importing must not read the environment or connect anything
      for (const key of ['REDIS_URL', 'DATABASE_URL', 'AUTH_ISSUER', 'AUTH_JWKS_URL', 'METRICS'])
        vi.stubEnv(key, undefined as unknown as string);
      for (const [key, value] of Object.entries(BAD_ENV)) vi.stubEnv(key, value);
      const module = await (FUNCTIONS[name] as () => Promise<FunctionModule>)();
      expect(typeof module.handler).toBe('function');
      // Act
      const error = await module.handler({}, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Assess
      expect(ConfigError.isInstance(error)).toBe(true);
      const message = (error as Error).message;
      expect(message.match(/Invalid presence configuration/g)).toHaveLength(1);
      expectOwnProblems(name, message);
    },
  );

  it('retries the build on the next invocation once the environment is fixed (nothing cached from the failure)', async () => {
    // Prepare
    for (const [key, value] of Object.entries(BAD_ENV)) vi.stubEnv(key, value);
    const { handler } = (await import('../src/functions/get-presence.js')) as {
      handler: (e: unknown) => Promise<{ statusCode: number }>;
    };
    await expect(
      handler(restEvent('rest-get-presence-cognito', { cognitoUser: ALICE })),
    ).rejects.toThrow(/Invalid presence configuration/);
    // Act: the environment is fixed; the graph points at a closed port so no database is needed
    vi.stubEnv('REDIS_URL', 'redis://127.0.0.1:1');
    vi.stubEnv('DB_CONNECTION', 'url');
    vi.stubEnv('DATABASE_URL', 'postgres://postgres@127.0.0.1:1/test');
    vi.stubEnv('DB_SSL', 'disable');
    vi.stubEnv('PRESENCE_TIMEOUT_SECONDS', '180');
    vi.stubEnv('AUTH_PROVIDER', 'cognito');
    vi.stubEnv('AUTH_COGNITO_USER_POOL_ID', 'us-east-1_AbCdEf123');
    vi.stubEnv('CORS_ALLOWED_ORIGINS', 'http://localhost:4200');
    vi.stubEnv('LOG_LEVEL', 'error');
    vi.stubEnv('METRICS', 'off');
    const response = await handler(restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }));
    // Assess: the runtime was built and answered (503: nothing listens on port 1)
    expect(response.statusCode).toBe(503);
  });
});

const bundlesBuilt = existsSync(
  new URL('../dist/functions/get-presence/index.mjs', import.meta.url),
);
if (!bundlesBuilt) {
  if (process.env.CI === 'true')
    throw new Error('cold-start.test.ts: dist/functions is missing; CI builds before testing');
  console.warn(
    '\n!!! cold-start.test.ts: dist/functions not built (pnpm build): SKIPPING the bundle tests.\n',
  );
}
const available = bundlesBuilt && (await backendsAvailable('cold-start.test.ts'));
const dynamoAvailable = bundlesBuilt && dynamoUnavailable('cold-start.test.ts') === undefined;

describe.skipIf(!bundlesBuilt)(
  'bundled functions (dist/functions/<name>/index.mjs), run alone in a clean process',
  () => {
    let dir: string;
    beforeAll(() => {
      // Copied out of the package: the bundle must not need node_modules.
      dir = mkdtempSync(join(tmpdir(), 'presence-bundles-'));
      for (const name of Object.keys(FUNCTIONS)) {
        // The asset as deployed: the entry and its chunks, no source maps, no metafile.
        cpSync(
          fileURLToPath(new URL(`../dist/functions/${name}`, import.meta.url)),
          join(dir, name),
          {
            recursive: true,
            filter: (source) => !source.endsWith('.map') && !/metafile-.*\.json$/.test(source),
          },
        );
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const invoke = async (name: string, env: Record<string, string>, event: unknown) => {
      const script = `
      const { handler } = await import(${JSON.stringify(join(dir, name, 'index.mjs'))});
      try {
        const result = await handler(JSON.parse(process.argv[1]), { getRemainingTimeInMillis: () => 30000 });
        console.log(JSON.stringify({ result }));
      } catch (error) {
        console.log(JSON.stringify({ errorType: error.name, errorMessage: error.message }));
      }
      process.exit(0);`;
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', script, JSON.stringify(event)],
        {
          env: { PATH: process.env.PATH ?? '', ...env },
          timeout: 30_000,
        },
      );
      const lines = stdout.trim().split('\n');
      return {
        ...(JSON.parse(lines[lines.length - 1] as string) as {
          result?: { statusCode: number; body: string };
          errorType?: string;
          errorMessage?: string;
        }),
        /** Every JSON line before the result: logs and EMF metrics. */
        written: lines
          .slice(0, -1)
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      };
    };

    it.each(Object.keys(FUNCTIONS))(
      '%s fails its cold start with the one ConfigError message',
      async (name) => {
        const outcome = await invoke(name, BAD_ENV, {});
        expect(outcome.errorType).toBe('ConfigError');
        expectOwnProblems(name, outcome.errorMessage);
      },
    );

    describe.skipIf(!dynamoAvailable)('the activity functions over DynamoDB (dynalite)', () => {
      let table: Awaited<ReturnType<typeof freshActivityTable>>;
      beforeAll(async () => {
        table = await freshActivityTable('bundle');
      });
      afterAll(async () => {
        await table?.drop();
      });

      /** A deployed get-activity / delete-activity environment; the SDK's own variable points it at dynalite. */
      const activityEnv = () => ({
        ...({
          ACTIVITY_TABLE_NAME: table.tableName,
          AUTH_PROVIDER: 'cognito',
          AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
          CORS_ALLOWED_ORIGINS: 'http://localhost:4200',
          LOG_LEVEL: 'warn',
        } satisfies FunctionEnv<'get-activity'>),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
      });

      it('get-activity lists the caller’s entries and delete-activity erases them, each bundle alone', async () => {
        // Prepare: one entry written by the adapter, as the recording functions write it
        const log = new DynamoDbActivityLog({
          tableName: table.tableName,
          clientConfig: {
            endpoint: dynamoEndpoint(),
            region: 'us-east-1',
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          },
        });
        await log.append({ userId: ALICE, at: Date.now(), type: 'online' });
        await log.close();
        const event = (method: string) => ({
          ...restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
          httpMethod: method,
          resource: '/activity',
          path: '/activity',
        });
        // Act + Assess
        const listed = await invoke('get-activity', activityEnv(), event('GET'));
        expect(listed.result?.statusCode).toBe(200);
        expect(JSON.parse(listed.result?.body ?? '{}')).toMatchObject({
          entries: [{ type: 'online' }],
          nextCursor: null,
        });
        const erased = await invoke('delete-activity', activityEnv(), event('DELETE'));
        expect(erased.result?.statusCode).toBe(204);
        const after = await invoke('get-activity', activityEnv(), event('GET'));
        expect(JSON.parse(after.result?.body ?? '{}')).toEqual({ entries: [], nextCursor: null });
      });
    });

    describe.skipIf(!available)('with a good environment', () => {
      let database: Awaited<ReturnType<typeof freshDatabase>>;
      const prefix = freshPrefix('bundle');
      beforeAll(async () => {
        database = await freshDatabase(SEED);
      });
      afterAll(async () => {
        const store = inspectionStore(prefix);
        await clearStore(store);
        await store.close();
        await database.drop();
      });

      /** A deployed get-presence environment over the test Redis and PostgreSQL. */
      const goodEnv = () =>
        ({
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          DB_CONNECTION: 'url',
          DATABASE_URL,
          DB_SCHEMA: database.schema,
          AUTH_PROVIDER: 'cognito',
          AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
          CORS_ALLOWED_ORIGINS: 'http://localhost:4200',
          LOG_LEVEL: 'warn',
        }) satisfies FunctionEnv<'get-presence'>;

      it('get-presence answers the PROTOCOL.md body from real Redis and PostgreSQL', async () => {
        // Prepare
        const env = goodEnv();
        // Act
        const outcome = await invoke(
          'get-presence',
          env,
          restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
        );
        // Assess
        expect(outcome.result?.statusCode).toBe(200);
        const body = JSON.parse(outcome.result?.body ?? '{}');
        expect(body.userPresence).toEqual({
          userId: ALICE,
          page: null,
          latestPage: null,
          lastSeenAt: null,
        });
        expect(body.presenceArr.map((p: { userId: string }) => p.userId)).toContain(BOB);
        // The deployed function writes its metrics as EMF lines on stdout.
        const emf = outcome.written.find(
          (line) => '_aws' in line && line.operation === 'get-presence',
        );
        expect(emf).toMatchObject({ service: 'presence' });
        expect(emf?.StoreLatency).toBeDefined();
        expect(emf?.GraphLatency).toBeDefined();
      });

      it('get-presence with TRACING=true loads the tracer chunk and still answers (X-Ray is inert outside Lambda)', async () => {
        const outcome = await invoke(
          'get-presence',
          { ...goodEnv(), TRACING: 'true', METRICS: 'off' },
          restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
        );
        expect(outcome.result?.statusCode).toBe(200);
      });
    });
  },
);
