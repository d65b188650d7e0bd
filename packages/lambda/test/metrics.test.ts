import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PRESENCE_METRICS as M } from '../src/index.js';
import { captureStdout } from './support/emf.js';
import {
  lambdaContext,
  restEvent,
  scheduledEvent,
  updateEvent,
  webSocketEvent,
} from './support/fixtures.js';
import { backendsAvailable, closedPort } from './support/infra.js';
import { ALICE, BOB, CAROL } from './support/users.js';
import { createWorld, type World } from './support/world.js';

const available = await backendsAvailable('metrics.test.ts');

// Each fault, replayed through the handlers over the real backends, must show up as the metric an
// alarm or the dashboard reads: the Embedded Metric Format lines are parsed from stdout, as
// CloudWatch parses them from the function's log stream.
describe.skipIf(!available)('metrics: each fault emits its metric (EMF on stdout)', () => {
  let world: World;
  let emf: ReturnType<typeof world.variant>;
  let stdout: ReturnType<typeof captureStdout>;
  let n = 0;
  const conn = () => `CmMx${(n++).toString(36).padStart(3, '0')}UIAMCJ5w=`;
  const open: string[] = [];
  const connect = async (userId: string, handlers = world.handlers) => {
    const connectionId = conn();
    await handlers.connect(webSocketEvent('websocket-connect', { userId, connectionId }));
    open.push(connectionId);
    return connectionId;
  };

  beforeAll(async () => {
    world = await createWorld('metrics');
    emf = world.variant({ METRICS: 'emf', METRICS_NAMESPACE: 'PresenceTest' });
  });
  afterAll(() => world.close());
  afterEach(async () => {
    stdout?.restore();
    // Every test starts with nobody online, whatever the last one asserted.
    await Promise.all(
      open
        .splice(0)
        .map((connectionId) =>
          world.handlers.disconnect(webSocketEvent('websocket-disconnect', { connectionId })),
        ),
    );
    world.gateway.clear();
  });
  const capture = () => {
    stdout = captureStdout();
    return stdout;
  };

  it('publishes each metric under [service, operation] and [service], in the configured namespace', async () => {
    const out = capture();
    const alice = await connect(ALICE, emf.handlers);
    await emf.handlers.heartbeat(
      webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: alice }),
    );
    const [line] = out.emf().filter((l) => l.operation === 'heartbeat');
    expect(line?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'PresenceTest',
      Dimensions: [['service', 'operation'], ['service']],
    });
    expect(line).toMatchObject({ service: 'presence', operation: 'heartbeat' });
    expect(out.total(M.storeLatency, 'heartbeat')).toBeGreaterThan(0);
  });

  it('a friend connection gone (410): FramesGone; the others FramesSent', async () => {
    const alice = await connect(ALICE);
    const bob = await connect(BOB);
    world.gateway.markGone(bob);
    const out = capture();
    await emf.handlers.updatePresence(updateEvent(ALICE, alice, 'https://example.org/', 'Example'));
    expect(out.total(M.framesGone, 'update-presence')).toBe(1);
    // Alice's own echo, then Bob's presence-timeout to her (the gone connection was his last).
    expect(out.total(M.framesSent, 'update-presence')).toBe(2);
    expect(out.total(M.framesFailed, 'update-presence')).toBe(0);
    expect(out.total(M.graphLatency, 'update-presence')).toBeGreaterThan(0);
  });

  it('the gateway failing one connection (5xx): FramesFailed and GatewayUnreachable, the call still answers 200', async () => {
    const alice = await connect(ALICE);
    const bob = await connect(BOB);
    world.gateway.markFailing(bob);
    const out = capture();
    const result = await emf.handlers.updatePresence(
      updateEvent(ALICE, alice, 'https://example.org/a', 'A'),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(out.total(M.framesFailed, 'update-presence')).toBe(1);
    expect(out.total(M.gatewayUnreachable, 'update-presence')).toBe(1);
    expect(out.total(M.framesSent, 'update-presence')).toBe(1);
  });

  it('API Gateway throttling a connection (429): GatewayThrottles', async () => {
    const alice = await connect(ALICE);
    const carol = await connect(CAROL);
    world.gateway.markThrottled(carol);
    const out = capture();
    await emf.handlers.updatePresence(updateEvent(ALICE, alice, 'https://example.org/b', 'B'));
    expect(out.total(M.gatewayThrottles, 'update-presence')).toBe(1);
    expect(out.total(M.framesFailed, 'update-presence')).toBe(1);
  }, 20_000);

  it('the gateway down for a whole fan-out: the update answers 503 (NotifierUnavailableError), FramesFailed, ServerErrors', async () => {
    const down = world.variant({
      METRICS: 'emf',
      WEBSOCKET_CALLBACK_URL: `http://127.0.0.1:${await closedPort()}/test`,
    });
    const alice = await connect(ALICE);
    const out = capture();
    const result = await down.handlers.updatePresence(
      updateEvent(ALICE, alice, 'https://example.org/c', 'C'),
    );
    expect(result).toEqual({ statusCode: 503 });
    expect(world.logs.findLast((l) => l.op === 'update-presence')).toMatchObject({
      level: 'error',
      code: 'notifier_unavailable',
    });
    expect(out.total(M.framesFailed, 'update-presence')).toBe(1);
    expect(out.total(M.gatewayUnreachable, 'update-presence')).toBe(1);
    expect(out.total(M.serverErrors, 'update-presence')).toBe(1);
  });

  it('Redis down: StoreErrors and ServerErrors', async () => {
    const down = world.variant({
      METRICS: 'emf',
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    const out = capture();
    const response = await down.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expect(response.statusCode).toBe(503);
    expect(out.total(M.storeErrors, 'get-presence')).toBeGreaterThanOrEqual(1);
    expect(out.total(M.serverErrors, 'get-presence')).toBe(1);
  });

  it('PostgreSQL down: GraphErrors', async () => {
    const down = world.variant({
      METRICS: 'emf',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
    });
    const out = capture();
    const response = await down.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expect(response.statusCode).toBe(503);
    expect(out.total(M.graphErrors, 'get-presence')).toBe(1);
  });

  it('a refused token: TokensRefused; a JWKS that cannot be fetched: IdentityErrors', async () => {
    const out = capture();
    await emf.handlers.getPresence(
      restEvent('rest-get-presence-no-authorizer', { headers: { Authorization: 'garbage' } }),
    );
    expect(out.total(M.tokensRefused, 'get-presence')).toBe(1);
    const noJwks = world.variant({
      METRICS: 'emf',
      AUTH_JWKS_URL: `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`,
    });
    out.clear();
    await expect(
      noJwks.handlers.authorizer(
        (await import('./support/fixtures.js')).authorizerEvent(world.issuer.token(ALICE)),
      ),
    ).rejects.toThrow(/^Unauthorized$/);
    expect(out.total(M.identityErrors, 'authorize')).toBe(1);
  });

  it('a sweep: SweepExpired, SweepOffline, SweepAnnounced, SocketsClosed; SweepIncomplete 0 when done, 1 when stopped by its deadline', async () => {
    const stale = await connect(CAROL);
    await world.elapse(100_000);
    const alice = await connect(ALICE);
    await world.elapse(81_000); // Carol silent 181 s, Alice 81 s
    const out = capture();
    const report = await emf.handlers.timeout(
      scheduledEvent(),
      lambdaContext(() => 55_000),
    );
    expect(report).toMatchObject({ expired: 1, offline: 1, notified: 1, done: true });
    expect(out.total(M.sweepExpired, 'timeout')).toBe(1);
    expect(out.total(M.sweepOffline, 'timeout')).toBe(1);
    expect(out.total(M.sweepAnnounced, 'timeout')).toBe(1);
    expect(out.total(M.socketsClosed, 'timeout')).toBe(1);
    expect(out.total(M.sweepIncomplete, 'timeout')).toBe(0);
    out.clear();
    const late = await emf.handlers.timeout(
      scheduledEvent(),
      lambdaContext(() => 800),
    );
    expect(late.done).toBe(false);
    expect(out.total(M.sweepIncomplete, 'timeout')).toBe(1);
  });
});
