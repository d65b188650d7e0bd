import { clearStore } from '@presence/redis/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvocationRecorder, recordEvent } from '../src/compose/metrics.js';
import { type InvocationEvent, PRESENCE_METRICS as M } from '../src/index.js';
import { captureStdout } from './support/emf.js';
import {
  lambdaContext,
  restEvent,
  scheduledEvent,
  updateEvent,
  webSocketEvent,
} from './support/fixtures.js';
import { backendsAvailable, closedPort, freshPrefix, inspectionStore } from './support/infra.js';
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

// The no-ghost machinery (outbox, sweep markers, reconcile) and the write guards (rate limit, cap):
// each result the service reports shows up as the metric its alarm or dashboard widget reads. The
// clock is driven: a gap between sweeps is an outage, a fresh key prefix is a Redis that lost its data.
describe.skipIf(!available)('metrics: the no-ghost machinery and the write guards', () => {
  let world: World;
  let emf: ReturnType<typeof world.variant>;
  let stdout: ReturnType<typeof captureStdout>;
  let n = 0;
  const conn = () => `CmNg${(n++).toString(36).padStart(3, '0')}UIAMCJ5w=`;
  const open: string[] = [];
  const connect = async (userId: string, handlers = world.handlers) => {
    const connectionId = conn();
    await handlers.connect(webSocketEvent('websocket-connect', { userId, connectionId }));
    open.push(connectionId);
    return connectionId;
  };
  const sweep = (handlers = emf.handlers) =>
    handlers.timeout(
      scheduledEvent(),
      lambdaContext(() => 55_000),
    );
  const capture = () => {
    stdout = captureStdout();
    return stdout;
  };

  beforeAll(async () => {
    world = await createWorld('metrics-no-ghost');
    emf = world.variant({ METRICS: 'emf' });
  });
  afterAll(() => world.close());
  beforeEach(async () => {
    // The schedule ran just now: no test starts with a gap the sweep would read as an outage.
    await sweep(world.handlers);
  });
  afterEach(async () => {
    stdout?.restore();
    await Promise.all(
      open
        .splice(0)
        .map((connectionId) =>
          world.handlers.disconnect(webSocketEvent('websocket-disconnect', { connectionId })),
        ),
    );
    world.gateway.clear();
  });

  it('an announcement that fails (PostgreSQL down) is deferred to the outbox: AnnouncementsDeferred; the sweep retries it: OutboxDrained, deferred again while the graph is down, then delivered', async () => {
    const pgDown = world.variant({
      METRICS: 'emf',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
    });
    const alice = await connect(ALICE);
    const bob = await connect(BOB);
    const out = capture();

    const result = await pgDown.handlers.disconnect(
      webSocketEvent('websocket-disconnect', { connectionId: alice }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(out.total(M.announcementsDeferred, 'disconnect')).toBe(1);

    // Past the outbox lease, a sweep with the graph still down claims it and defers it again.
    world.clock.advance(31_000);
    out.clear();
    expect(await sweep(pgDown.handlers)).toMatchObject({ drained: 1, deferred: 1 });
    expect(out.total(M.outboxDrained, 'timeout')).toBe(1);
    expect(out.total(M.announcementsDeferred, 'timeout')).toBe(1);

    // The graph is back: the next sweep past the lease drains it for good.
    world.clock.advance(31_000);
    out.clear();
    expect(await sweep()).toMatchObject({ drained: 1, deferred: 0, announced: 1 });
    expect(out.total(M.outboxDrained, 'timeout')).toBe(1);
    expect(out.total(M.announcementsDeferred, 'timeout')).toBe(0);
    expect(world.gateway.framesFor(bob)).toContainEqual(
      expect.objectContaining({ type: 'presence-timeout', userId: ALICE }),
    );

    // A disconnect announced at once defers nothing.
    out.clear();
    await emf.handlers.disconnect(webSocketEvent('websocket-disconnect', { connectionId: bob }));
    expect(out.total(M.announcementsDeferred, 'disconnect')).toBe(0);
  });

  it('frames over the rate limit: FramesRateLimited per function, answered with a rate_limited error frame', async () => {
    const limited = world.variant({
      METRICS: 'emf',
      PRESENCE_FRAME_RATE_PER_SECOND: '1',
      PRESENCE_FRAME_RATE_BURST: '1',
    });
    const out = capture();
    const alice = await connect(ALICE, limited.handlers);
    out.clear();
    const heartbeat = () =>
      limited.handlers.heartbeat(
        webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: alice }),
      );

    expect(await heartbeat()).toEqual({ statusCode: 200 });
    expect(out.total(M.framesRateLimited, 'heartbeat')).toBe(0);
    expect(await heartbeat()).toEqual({ statusCode: 200 });
    expect(
      await limited.handlers.updatePresence(
        updateEvent(ALICE, alice, 'https://example.org/limited', 'Limited'),
      ),
    ).toEqual({ statusCode: 200 });

    expect(out.total(M.framesRateLimited, 'heartbeat')).toBe(1);
    expect(out.total(M.framesRateLimited, 'update-presence')).toBe(1);
    expect(out.total(M.framesRateLimited)).toBe(2);
    expect(world.gateway.framesFor(alice)).toEqual([
      expect.objectContaining({ type: 'error', code: 'rate_limited' }),
      expect.objectContaining({ type: 'error', code: 'rate_limited' }),
    ]);
    // A second later the bucket has a token again.
    world.clock.advance(1_000);
    out.clear();
    await heartbeat();
    expect(out.total(M.framesRateLimited, 'heartbeat')).toBe(0);
  });

  it('connections over the per-user cap: ConnectionsEvicted on the connect or heartbeat that evicted them', async () => {
    const capped = world.variant({ METRICS: 'emf', PRESENCE_MAX_CONNECTIONS_PER_USER: '1' });
    const out = capture();
    const first = await connect(ALICE, capped.handlers);
    world.clock.advance(1);
    out.clear();

    const second = await connect(ALICE, capped.handlers);
    expect(out.total(M.connectionsEvicted, 'connect')).toBe(1);
    expect(world.gateway.deleted).toEqual([first]);

    // A heartbeat on a connection the store does not know re-registers it, over the cap again.
    world.clock.advance(1);
    const third = conn();
    open.push(third);
    await capped.handlers.heartbeat(
      webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: third }),
    );
    expect(out.total(M.connectionsEvicted, 'heartbeat')).toBe(1);
    expect(world.gateway.deleted).toEqual([first, second]);

    out.clear();
    await capped.handlers.heartbeat(
      webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: third }),
    );
    expect(out.total(M.connectionsEvicted, 'heartbeat')).toBe(0);
  });

  it('a mass timeout (100 connections stale at once): MassTimeout 1; an ordinary sweep: 0', async () => {
    const now = world.clock.now();
    const ids = Array.from({ length: 100 }, () => conn());
    for (const connectionId of ids) {
      await world.store.addConnection({ userId: CAROL, connectionId }, now);
    }
    await world.elapse(181_000);
    const out = capture();

    const report = await sweep();
    expect(report).toMatchObject({ expired: 100, massTimeout: true });
    expect(out.total(M.massTimeout, 'timeout')).toBe(1);
    expect(out.total(M.sweepExpired, 'timeout')).toBe(100);
    out.clear();
    await sweep();
    expect(out.total(M.massTimeout, 'timeout')).toBe(0);
  });

  it('Redis lost its data (no sweep markers): LostPartitions and SweepHold on detection, ReconciledFrames after the timeout, then SweepHold 0', async () => {
    const prefix = freshPrefix('metrics-loss');
    const lost = world.variant({ METRICS: 'emf', REDIS_KEY_PREFIX: prefix });
    const inspect = inspectionStore(prefix);
    try {
      const out = capture();
      const detected = await sweep(lost.handlers);
      expect(detected.lostPartitions).toBe(inspect.partitions);
      expect(detected.hold).toBeDefined();
      expect(out.total(M.lostPartitions, 'timeout')).toBe(inspect.partitions);
      expect(out.total(M.sweepHold, 'timeout')).toBe(1);
      expect(out.total(M.reconciledFrames, 'timeout')).toBe(0);

      // Alice is live (she heartbeats each minute); her friends Bob and Carol were in the lost
      // partitions and are not online: once the reconcile is due (the timeout after the
      // detection), she is told they are gone.
      const alice = conn();
      await lost.handlers.connect(
        webSocketEvent('websocket-connect', { userId: ALICE, connectionId: alice }),
      );
      out.clear();
      const holds: number[] = [];
      for (let minute = 1; minute <= 3; minute++) {
        world.clock.advance(60_000);
        await lost.handlers.heartbeat(
          webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: alice }),
        );
        const before = out.total(M.sweepHold, 'timeout') ?? 0;
        await sweep(lost.handlers);
        holds.push((out.total(M.sweepHold, 'timeout') ?? 0) - before);
      }
      expect(holds).toEqual([0, 0, 0]);
      expect(out.total(M.lostPartitions, 'timeout')).toBe(0);
      expect(out.total(M.reconciledFrames, 'timeout')).toBe(2);
      expect(
        world.gateway.framesFor(alice).filter((frame) => frame.type === 'presence-timeout'),
      ).toHaveLength(2);
      await lost.handlers.disconnect(
        webSocketEvent('websocket-disconnect', { connectionId: alice }),
      );
    } finally {
      await clearStore(inspect);
      await inspect.close();
    }
  });

  it('no sweep reached the store for longer than the timeout allows (an outage): SweepHold 1 until the hold ends', async () => {
    world.clock.advance(130_000);
    const out = capture();
    const held = await sweep();
    expect(held.hold).toBeDefined();
    expect(held.lostPartitions).toBe(0);
    expect(out.total(M.sweepHold, 'timeout')).toBe(1);
    expect(out.total(M.lostPartitions, 'timeout')).toBe(0);

    // The hold lasts recoveryHoldMs (the heartbeat interval, 60 s) past the detection.
    world.clock.advance(60_000);
    out.clear();
    expect((await sweep()).hold).toBeUndefined();
    expect(out.total(M.sweepHold, 'timeout')).toBe(0);
  });
});

// Activity history is not wired into the functions yet: the mapping of every result's
// activityFailures (and evictions) is checked on the recorder directly.
describe('metrics: activity failures and evictions of each result', () => {
  const counted = (event: InvocationEvent) => {
    const recorder = new InvocationRecorder();
    recordEvent(recorder, event);
    return Object.fromEntries(recorder.counts);
  };

  it('counts activityFailures of connect, frames, disconnect and the sweep', () => {
    expect(counted({ kind: 'connect', result: { cameOnline: true, activityFailures: 2 } })).toEqual(
      {
        [M.activityFailures]: 2,
        [M.connectionsEvicted]: 0,
      },
    );
    expect(
      counted({
        kind: 'frame',
        outcome: {
          action: 'heartbeat',
          result: { wasRegistered: false, cameOnline: true, activityFailures: 1, evicted: 3 },
        },
      }),
    ).toEqual({ [M.activityFailures]: 1, [M.connectionsEvicted]: 3, [M.framesRateLimited]: 0 });
    expect(
      counted({
        kind: 'disconnect',
        result: {
          userId: ALICE,
          userOffline: true,
          notified: 0,
          deferred: true,
          activityFailures: 1,
        },
      }),
    ).toEqual({ [M.activityFailures]: 1, [M.announcementsDeferred]: 1 });
    expect(
      counted({
        kind: 'sweep',
        report: {
          cutoff: 0,
          expired: 1,
          offline: 1,
          notified: 0,
          closed: 1,
          batches: 1,
          done: true,
          announced: 1,
          deferred: 0,
          drained: 0,
          lostPartitions: 0,
          reconciled: 0,
          massTimeout: false,
          activityFailures: 4,
        },
      }),
    ).toMatchObject({ [M.activityFailures]: 4, [M.sweepHold]: 0 });
  });

  it('a frame rejected for another reason is not counted as rate-limited', () => {
    expect(
      counted({
        kind: 'frame',
        outcome: {
          action: 'rejected',
          reply: { type: 'error', code: 'invalid_frame', message: 'not JSON' },
        },
      }),
    ).toEqual({ [M.framesRateLimited]: 0 });
  });
});
