import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '@presence/core';
import { clearStore } from '@presence/redis/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
};

/** A deployed environment with three mistakes. */
const BAD_ENV = {
  REDIS_URL: 'http://cache.internal:6379',
  DB_HOST: 'db.internal',
  DB_NAME: 'users',
  DB_USER: 'presence_reader',
  DB_SSL: 'prefer',
  PRESENCE_TIMEOUT_SECONDS: 'three minutes',
};
const BAD_ENV_PROBLEMS = [
  'PRESENCE_TIMEOUT_SECONDS',
  'DB_SSL',
  'REDIS_URL',
  'AUTH_COGNITO_USER_POOL_ID',
];

describe('function modules (src/functions/<name>.ts): lazily built, once per container', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.each(Object.keys(FUNCTIONS))(
    '%s exports a handler and fails its first invocation with one ConfigError naming every problem',
    async (name) => {
      // Prepare: importing must not read the environment or connect anything
      for (const key of [
        'REDIS_URL',
        'DATABASE_URL',
        'AUTH_ISSUER',
        'AUTH_JWKS_URL',
        'AUTH_COGNITO_USER_POOL_ID',
      ])
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
      for (const problem of BAD_ENV_PROBLEMS) expect(message).toContain(problem);
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
    vi.stubEnv('DATABASE_URL', 'postgres://postgres@127.0.0.1:1/test');
    vi.stubEnv('DB_SSL', 'disable');
    vi.stubEnv('PRESENCE_TIMEOUT_SECONDS', '180');
    vi.stubEnv('AUTH_COGNITO_USER_POOL_ID', 'us-east-1_AbCdEf123');
    vi.stubEnv('LOG_LEVEL', 'error');
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

describe.skipIf(!bundlesBuilt)(
  'bundled functions (dist/functions/<name>/index.mjs), run alone in a clean process',
  () => {
    let dir: string;
    beforeAll(() => {
      // Copied out of the package: the bundle must not need node_modules.
      dir = mkdtempSync(join(tmpdir(), 'presence-bundles-'));
      for (const name of Object.keys(FUNCTIONS)) {
        copyFileSync(
          new URL(`../dist/functions/${name}/index.mjs`, import.meta.url),
          join(dir, `${name}.mjs`),
        );
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const invoke = async (name: string, env: Record<string, string>, event: unknown) => {
      const script = `
      const { handler } = await import(${JSON.stringify(join(dir, `${name}.mjs`))});
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
      return JSON.parse(lines[lines.length - 1] as string) as {
        result?: { statusCode: number; body: string };
        errorType?: string;
        errorMessage?: string;
      };
    };

    it.each(Object.keys(FUNCTIONS))(
      '%s fails its cold start with the one ConfigError message',
      async (name) => {
        const outcome = await invoke(name, BAD_ENV, {});
        expect(outcome.errorType).toBe('ConfigError');
        for (const problem of BAD_ENV_PROBLEMS) expect(outcome.errorMessage).toContain(problem);
      },
    );

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

      it('get-presence answers the PROTOCOL.md body from real Redis and PostgreSQL', async () => {
        // Prepare
        const env = {
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          DATABASE_URL,
          DB_SCHEMA: database.schema,
          AUTH_COGNITO_USER_POOL_ID: 'us-east-1_AbCdEf123',
          CORS_ALLOWED_ORIGINS: 'http://localhost:4200',
          LOG_LEVEL: 'warn',
        };
        // Act
        const outcome = await invoke(
          'get-presence',
          env,
          restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
        );
        // Assess
        expect(outcome.result?.statusCode).toBe(200);
        const body = JSON.parse(outcome.result?.body ?? '{}');
        expect(body.userPresence).toEqual({ userId: ALICE, page: null, latestPage: null });
        expect(body.presenceArr.map((p: { userId: string }) => p.userId)).toContain(BOB);
      });
    });
  },
);
