import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lambdaContext,
  restEvent,
  scheduledEvent,
  updateEvent,
  webSocketEvent,
} from './support/fixtures.js';
import { backendsAvailable, closedPort } from './support/infra.js';
import { ALICE } from './support/users.js';
import { createWorld, type World } from './support/world.js';

const available = await backendsAvailable('outage.test.ts');

// Backend outages: a runtime pointed at a closed port answers 503 with a fixed JSON body (no driver
// message, no stack), logs the failure at error level, and leaves no partial state.
describe.skipIf(!available)('backend outages map to 503', () => {
  let world: World;
  let redisDown: ReturnType<World['variant']>;
  let postgresDown: ReturnType<World['variant']>;
  let secretsDown: ReturnType<World['variant']>;

  beforeAll(async () => {
    world = await createWorld('outage');
    redisDown = world.variant({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    postgresDown = world.variant({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
    });
    secretsDown = world.variant(
      {
        DATABASE_URL: undefined,
        DB_CONNECTION: 'secret',
        DB_HOST: '127.0.0.1',
        DB_NAME: 'test',
        DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/db-AbCdEf',
        DB_SSL: 'disable',
      },
      {
        readSecret: () =>
          Promise.reject(
            Object.assign(new Error('AccessDeniedException: not authorized'), {
              name: 'AccessDeniedException',
            }),
          ),
      },
    );
  });
  afterAll(() => world.close());

  const expectOutage = (
    response: { statusCode: number; body: string; headers?: Record<string, unknown> },
    code: string,
  ) => {
    expect(response.statusCode).toBe(503);
    const body = JSON.parse(response.body);
    expect(body).toEqual({ code, message: expect.stringMatching(/unavailable, retry later$/) });
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*\(|Error:/);
    expect(response.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'http://localhost:4200',
    });
  };

  it('GET /presence with Redis down: 503 store_unavailable', async () => {
    const response = await redisDown.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expectOutage(response, 'store_unavailable');
    expect(world.logs.findLast((l) => l.op === 'get-presence')).toMatchObject({
      level: 'error',
      status: 503,
      code: 'store_unavailable',
    });
  });

  it('GET /presence with PostgreSQL down: 503 graph_unavailable', async () => {
    const response = await postgresDown.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expectOutage(response, 'graph_unavailable');
  });

  it('GET /presence/{userId} with PostgreSQL down: 503 graph_unavailable', async () => {
    const response = await postgresDown.handlers.getUserPresence(
      restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: 'carol.lopez' }),
    );
    expectOutage(response, 'graph_unavailable');
  });

  it('GET /presence when the database secret cannot be read: 503 graph_unavailable', async () => {
    const response = await secretsDown.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expectOutage(response, 'graph_unavailable');
  });

  it('$connect with Redis down: 503 (API Gateway refuses the upgrade; the client retries)', async () => {
    const result = await redisDown.handlers.connect(
      webSocketEvent('websocket-connect', { userId: ALICE, connectionId: 'CmDownUIAMCJ5w=' }),
    );
    expect(result).toEqual({ statusCode: 503 });
  });

  it('heartbeat with Redis down: 503 result, no frame posted, logged at error', async () => {
    const result = await redisDown.handlers.heartbeat(
      webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: 'CmDownUIAMCJ5w=' }),
    );
    expect(result).toEqual({ statusCode: 503 });
    expect(world.gateway.posted).toEqual([]);
    expect(world.logs.findLast((l) => l.op === 'heartbeat')).toMatchObject({
      level: 'error',
      status: 503,
      code: 'store_unavailable',
    });
  });

  it('update-presence with PostgreSQL down: 503 result and nothing stored', async () => {
    // Prepare
    const connectionId = 'CmPgDownUIAMCJ5w=';
    await world.handlers.connect(
      webSocketEvent('websocket-connect', { userId: ALICE, connectionId }),
    );
    // Act
    const result = await postgresDown.handlers.updatePresence(
      updateEvent(ALICE, connectionId, 'https://example.org/', 'Example'),
    );
    // Assess
    expect(result).toEqual({ statusCode: 503 });
    expect((await world.store.presenceOf([ALICE])).get(ALICE)?.page).toEqual({
      url: '',
      title: '',
    });
    await world.handlers.disconnect(webSocketEvent('websocket-disconnect', { connectionId }));
  });

  it('$disconnect with Redis down: 503', async () => {
    const result = await redisDown.handlers.disconnect(
      webSocketEvent('websocket-disconnect', { connectionId: 'CmDownUIAMCJ5w=' }),
    );
    expect(result).toEqual({ statusCode: 503 });
  });

  it('timeout with Redis down: the invocation fails (the schedule retries) after an error log line', async () => {
    await expect(
      redisDown.handlers.timeout(
        scheduledEvent(),
        lambdaContext(() => 60_000),
      ),
    ).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(world.logs.findLast((l) => l.op === 'timeout')).toMatchObject({
      level: 'error',
      code: 'store_unavailable',
    });
  });

  it('the same runtime recovers when the backend is back (nothing cached from the failure)', async () => {
    // A runtime whose first store call fails because the secret read fails once, then works.
    let calls = 0;
    const flaky = world.variant(
      {
        DATABASE_URL: undefined,
        DB_CONNECTION: 'secret',
        DB_HOST: '127.0.0.1',
        DB_NAME: 'test',
        DB_USER: 'postgres',
        DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence/db-AbCdEf',
        DB_SSL: 'disable',
      },
      {
        readSecret: async () => {
          calls++;
          if (calls === 1) throw new Error('ThrottlingException');
          return JSON.stringify({
            username: 'postgres',
            password: 'unused-with-trust-auth',
            engine: 'postgres',
            host: '127.0.0.1',
            port: 5432,
            dbname: 'test',
          });
        },
      },
    );
    const first = await flaky.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    const second = await flaky.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    const third = await flaky.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([503, 200, 200]);
    expect(calls).toBe(2); // fetched once after the failure, then cached
  });
});
