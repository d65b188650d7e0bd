import { FakeClock } from '@presence/core/testing';
import type { RedisPresenceStore } from '@presence/redis';
import { clearStore } from '@presence/redis/testing';
import {
  createHandlers,
  createLogger,
  createRuntime,
  type PresenceEnv,
  type PresenceHandlers,
  type PresenceRuntime,
  parseConfig,
  type RuntimeOverrides,
} from '../../src/index.js';
import { lambdaContext, scheduledEvent } from './fixtures.js';
import { GatewayStub } from './gateway-stub.js';
import { DATABASE_URL, freshDatabase, freshPrefix, inspectionStore, REDIS_URL } from './infra.js';
import { TestIssuer } from './jwks.js';
import { SEED } from './users.js';

// The real AWS SDK signs requests to the @connections stand-in: give it dummy credentials and keep
// it away from the instance metadata service.
process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

/** One JSON log line as the logger wrote it. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** Everything a handler test needs: real Redis and PostgreSQL, the stand-ins, a fake clock. */
export interface World {
  readonly env: Readonly<Record<string, string>>;
  readonly runtime: PresenceRuntime;
  readonly handlers: PresenceHandlers;
  readonly gateway: GatewayStub;
  readonly issuer: TestIssuer;
  readonly clock: FakeClock;
  readonly logs: LogLine[];
  /** A store on the same Redis prefix, to look at what the handlers wrote. */
  readonly store: RedisPresenceStore;
  /**
   * Moves the clock `ms` forward as a deployment lives it: the timeout schedule runs every minute
   * on the way (not at the end: the test runs the sweep it looks at). A jump past the timeout with
   * no sweep would be an outage, and the sweep would rightly hold its cutoff.
   */
  elapse(ms: number): Promise<void>;
  /** A runtime and handlers over the same backends with other settings (closed by `close`). */
  variant(
    env: Record<string, string | undefined>,
    overrides?: RuntimeOverrides,
  ): { runtime: PresenceRuntime; handlers: PresenceHandlers };
  close(): Promise<void>;
}

/** Starts the stand-ins, seeds a fresh schema, and builds the runtime through parseConfig + createRuntime. */
export async function createWorld(label: string): Promise<World> {
  const gateway = new GatewayStub();
  const issuer = new TestIssuer();
  await Promise.all([gateway.start(), issuer.start()]);
  const database = await freshDatabase(SEED);
  const prefix = freshPrefix(label);
  const clock = new FakeClock(1_764_324_000_000);
  const logs: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => logs.push(JSON.parse(line) as LogLine),
  });
  const env = {
    PRESENCE_TIMEOUT_SECONDS: '180',
    LOG_LEVEL: 'debug',
    // Tests that count metrics give their runtime a sink of their own.
    METRICS: 'off',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    DB_CONNECTION: 'url',
    DATABASE_URL,
    DB_SCHEMA: database.schema,
    AUTH_PROVIDER: 'oidc',
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTH_AUDIENCE: issuer.clientId,
    AUTH_USER_ID_CLAIM: 'cognito:username',
    WEBSOCKET_CALLBACK_URL: gateway.url,
    CORS_ALLOWED_ORIGINS:
      'http://localhost:4200,chrome-extension://abcdefghijklmnopabcdefghijklmnop',
  } satisfies PresenceEnv;
  const runtime = createRuntime(parseConfig({ ...env, AWS_REGION: 'us-east-1' }), {
    clock,
    logger,
  });
  const store = inspectionStore(prefix);
  // A deployment that has been running: its sweep markers exist (a fresh prefix would otherwise
  // read as a Redis that lost its data) and the last schedule ran a minute ago.
  const marks = await store.markSweep(clock.now() - 60_000, 120_000);
  await store.markReconciled(
    marks.map((mark) => ({ partition: mark.partition, epoch: mark.epoch, next: store.partitions })),
  );
  const variants: PresenceRuntime[] = [];
  const handlers = createHandlers(runtime);
  return {
    env,
    runtime,
    handlers,
    gateway,
    issuer,
    clock,
    logs,
    store,
    async elapse(ms) {
      const SCHEDULE_MS = 60_000;
      let left = ms;
      while (left > SCHEDULE_MS) {
        clock.advance(SCHEDULE_MS);
        left -= SCHEDULE_MS;
        await handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 60_000),
        );
      }
      clock.advance(left);
    },
    variant(changes, overrides = {}) {
      const merged: Record<string, string | undefined> = {
        ...env,
        AWS_REGION: 'us-east-1',
        ...changes,
      };
      for (const [key, value] of Object.entries(changes))
        if (value === undefined) delete merged[key];
      const other = createRuntime(parseConfig(merged), { clock, logger, ...overrides });
      variants.push(other);
      return { runtime: other, handlers: createHandlers(other) };
    },
    async close() {
      await Promise.all(variants.map((v) => v.close()));
      await runtime.close();
      await clearStore(store);
      await store.close();
      await database.drop();
      await Promise.all([gateway.stop(), issuer.stop()]);
    },
  };
}

/** Info lines must not carry URLs, titles, tokens or friend lists (DESIGN.md invariant 6). */
export function personalDataAtInfo(logs: readonly LogLine[], secrets: readonly string[]): string[] {
  return logs
    .filter((line) => line.level !== 'debug')
    .map((line) => JSON.stringify(line))
    .filter(
      (text) =>
        secrets.some((secret) => text.includes(secret)) || /eyJ[A-Za-z0-9_-]{10,}/.test(text),
    );
}
