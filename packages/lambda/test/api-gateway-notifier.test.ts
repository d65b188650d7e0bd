import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { NotifierUnavailableError } from '@presence/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiGatewayNotifier } from '../src/index.js';
import { GatewayStub } from './support/gateway-stub.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

describe('createApiGatewayNotifier against an @connections stand-in (real AWS SDK client)', () => {
  const gateway = new GatewayStub();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  afterEach(() => {
    gateway.clear();
    gateway.delayMs = 0;
  });

  const notifier = (concurrency?: number) =>
    createApiGatewayNotifier({
      endpoint: gateway.url,
      ...(concurrency === undefined ? {} : { concurrency }),
      client: new ApiGatewayManagementApiClient({
        endpoint: gateway.url,
        region: 'us-east-1',
        credentials,
        maxAttempts: 1,
      }),
    });

  it('posts the frame as JSON text to each connection once and reports them delivered', async () => {
    // Prepare
    const frame = { type: 'presence-timeout', userId: 'google_117429865182265482928' } as const;
    // Act
    const report = await notifier().send(
      ['CmA1LUIAMCJ5w=', 'CmA2LUIAMCJ5w=', 'CmA1LUIAMCJ5w='],
      frame,
    );
    // Assess
    expect(report).toMatchObject({
      delivered: expect.arrayContaining(['CmA1LUIAMCJ5w=', 'CmA2LUIAMCJ5w=']),
      gone: [],
      failed: [],
    });
    expect(report.delivered).toHaveLength(2);
    expect(gateway.rawBodies).toEqual([JSON.stringify(frame), JSON.stringify(frame)]);
  });

  it('reports 410 GoneException as gone and other errors as failed, never throwing', async () => {
    // Prepare
    gateway.markGone('CmGoneUIAMCJ5w=');
    gateway.markFailing('CmFailUIAMCJ5w=');
    // Act
    const report = await notifier().send(
      ['CmGoneUIAMCJ5w=', 'CmFailUIAMCJ5w=', 'CmLiveUIAMCJ5w='],
      { type: 'presence-timeout', userId: 'bob' },
    );
    // Assess
    expect(report).toEqual({
      delivered: ['CmLiveUIAMCJ5w='],
      gone: ['CmGoneUIAMCJ5w='],
      failed: ['CmFailUIAMCJ5w='],
      throttled: [],
      unreachable: ['CmFailUIAMCJ5w='],
    });
  });

  it('closes sockets with DeleteConnection; an already gone one is reported gone', async () => {
    gateway.markGone('CmOldUIAMCJ5w=');
    const report = await notifier().close(['CmStaleUIAMCJ5w=', 'CmOldUIAMCJ5w=']);
    expect(report).toMatchObject({
      delivered: ['CmStaleUIAMCJ5w='],
      gone: ['CmOldUIAMCJ5w='],
      failed: [],
    });
    expect(gateway.deleted).toEqual(['CmStaleUIAMCJ5w=']);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    // Prepare
    gateway.delayMs = 20;
    gateway.maxInFlight = 0;
    const ids = Array.from({ length: 12 }, (_, i) => `CmC${i}UIAMCJ5w=`);
    // Act
    const report = await notifier(3).send(ids, { type: 'presence-timeout', userId: 'bob' });
    // Assess
    expect(report.delivered).toHaveLength(12);
    expect(gateway.maxInFlight).toBeLessThanOrEqual(3);
    expect(gateway.maxInFlight).toBeGreaterThan(1);
  });

  it('keeps at most `concurrency` requests in flight across concurrent calls (a sweep sends many at once)', async () => {
    // Prepare
    gateway.delayMs = 10;
    gateway.maxInFlight = 0;
    const shared = notifier(4);
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => `CmB${b}x${i}UIAMCJ5w=`),
    );
    // Act
    const reports = await Promise.all(
      batches.map((ids, b) => shared.send(ids, { type: 'presence-timeout', userId: `u${b}` })),
    );
    // Assess
    expect(reports.flatMap((r) => r.delivered)).toHaveLength(30);
    expect(gateway.maxInFlight).toBeLessThanOrEqual(4);
    expect(gateway.maxInFlight).toBeGreaterThan(1);
  });

  it('builds its own keep-alive client from the endpoint (credentials from the environment)', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    // Act
    const report = await createApiGatewayNotifier({
      endpoint: gateway.url,
      region: 'us-east-1',
    }).send(['CmOwnUIAMCJ5w='], {
      type: 'presence-timeout',
      userId: 'bob',
    });
    // Assess
    expect(report.delivered).toEqual(['CmOwnUIAMCJ5w=']);
  });

  it('throws NotifierUnavailableError when the endpoint is down (every request unreachable)', async () => {
    const down = createApiGatewayNotifier({
      endpoint: 'http://127.0.0.1:1/test',
      client: new ApiGatewayManagementApiClient({
        endpoint: 'http://127.0.0.1:1/test',
        region: 'us-east-1',
        credentials,
        maxAttempts: 1,
      }),
    });
    const error = await down
      .send(['CmX1UIAMCJ5w='], { type: 'presence-timeout', userId: 'bob' })
      .catch((e: unknown) => e);
    expect(NotifierUnavailableError.isInstance(error)).toBe(true);
  });
});
