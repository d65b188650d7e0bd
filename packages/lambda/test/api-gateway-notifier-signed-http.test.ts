import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  ConfigError,
  httpStatusOf,
  NotifierUnavailableError,
  type ServerFrame,
} from '@presence/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GATEWAY_REQUEST_TIMEOUT_MS } from '../src/aws/gateway-transport.js';
import {
  type ApiGatewayNotifierOptions,
  createApiGatewayNotifier,
  createRuntime,
  parseFunctionConfig,
} from '../src/index.js';
import { type CapturedRequest, CaptureGateway } from './support/capture-gateway.js';
import { signedHeadersOf, verifySigV4 } from './support/sigv4-verifier.js';

const credentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEtokenOfALambdaRole//+==',
};
const frame: ServerFrame = { type: 'presence-timeout', userId: 'google_117429865182265482928' };
const TRICKY_IDS = ['Abc123=', 'a+b/c=', 'x_y-z.', "CmA1!'()*~ é="];

const gateway = new CaptureGateway();
beforeAll(() => gateway.start());
afterAll(() => gateway.stop());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  gateway.reset();
});

const endpoint = (stage = '/prod') => `${gateway.origin}${stage}`;
const notifier = (options: Partial<ApiGatewayNotifierOptions> = {}) =>
  createApiGatewayNotifier({
    endpoint: endpoint(),
    region: 'us-east-1',
    credentials,
    transport: 'signed-http',
    ...options,
  });
const sdkClient = (url = endpoint()) =>
  new ApiGatewayManagementApiClient({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
const sortedPaths = (requests: readonly CapturedRequest[]) =>
  requests.map((r) => `${r.method} ${r.rawPath}`).sort();

describe('the SigV4 verifier', () => {
  it('accepts PostToConnection and DeleteConnection as the real AWS SDK client signs them', async () => {
    // Prepare
    const client = sdkClient();
    // Act
    await client.send(
      new PostToConnectionCommand({ ConnectionId: 'a+b/c=', Data: Buffer.from('{"a":1}') }),
    );
    await client.send(new DeleteConnectionCommand({ ConnectionId: 'Abc123=' }));
    // Assess
    expect(gateway.requests).toHaveLength(2);
    for (const request of gateway.requests) {
      expect(await verifySigV4(request, credentials.secretAccessKey)).toEqual({ ok: true });
    }
  });

  it('rejects an SDK request whose body, path or secret differs from what was signed', async () => {
    // Prepare
    await sdkClient().send(
      new PostToConnectionCommand({ ConnectionId: 'Abc123=', Data: Buffer.from('{"a":1}') }),
    );
    const [sent] = gateway.requests as [CapturedRequest];
    const otherBody = Buffer.from('{"a":2}');
    const otherHash = (await import('node:crypto'))
      .createHash('sha256')
      .update(otherBody)
      .digest('hex');
    // Act
    const verdicts = await Promise.all([
      verifySigV4({ ...sent, body: otherBody }, credentials.secretAccessKey),
      verifySigV4(
        {
          ...sent,
          body: otherBody,
          headers: { ...sent.headers, 'x-amz-content-sha256': otherHash },
        },
        credentials.secretAccessKey,
      ),
      verifySigV4(
        { ...sent, rawPath: '/prod/@connections/Abc124%3D' },
        credentials.secretAccessKey,
      ),
      verifySigV4(sent, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ'),
    ]);
    // Assess
    expect(verdicts.map((v) => v.ok)).toEqual([false, false, false, false]);
  });
});

describe("createApiGatewayNotifier({ transport: 'signed-http' })", () => {
  it('signs posts and closes as the SDK does: the verifier accepts them, session token signed', async () => {
    // Act
    const sent = await notifier().send(['CmA1LUIAMCJ5w=', 'CmA2LUIAMCJ5w='], frame);
    const closed = await notifier().close(['CmA3LUIAMCJ5w=']);
    // Assess
    expect(sent).toMatchObject({
      delivered: expect.arrayContaining(['CmA1LUIAMCJ5w=', 'CmA2LUIAMCJ5w=']),
      gone: [],
      failed: [],
    });
    expect(closed).toMatchObject({ delivered: ['CmA3LUIAMCJ5w='], gone: [], failed: [] });
    expect(gateway.requests).toHaveLength(3);
    for (const request of gateway.requests) {
      expect(await verifySigV4(request, credentials.secretAccessKey)).toEqual({ ok: true });
      expect(request.headers['x-amz-security-token']).toBe(credentials.sessionToken);
      expect(signedHeadersOf(request)).toContain('x-amz-security-token');
      expect(request.headers.authorization).toContain('/us-east-1/execute-api/aws4_request');
    }
  });

  it('is rejected by the verifier when tampered with or checked against another secret', async () => {
    // Prepare
    await notifier().send(['CmA1LUIAMCJ5w='], frame);
    const [sent] = gateway.requests as [CapturedRequest];
    // Act
    const verdicts = await Promise.all([
      verifySigV4({ ...sent, body: Buffer.from('{"type":"other"}') }, credentials.secretAccessKey),
      verifySigV4({ ...sent, method: 'DELETE' }, credentials.secretAccessKey),
      verifySigV4(sent, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ'),
    ]);
    // Assess
    expect(verdicts.map((v) => v.ok)).toEqual([false, false, false]);
  });

  it.each([
    ['with a stage', '/prod'],
    ['without a stage', ''],
  ])('uses the raw path, method, content-type and body of the SDK (%s)', async (_, stage) => {
    // Prepare
    const data = Buffer.from(JSON.stringify(frame), 'utf8');
    const client = sdkClient(endpoint(stage));
    for (const ConnectionId of TRICKY_IDS) {
      await client.send(new PostToConnectionCommand({ ConnectionId, Data: data }));
      await client.send(new DeleteConnectionCommand({ ConnectionId }));
    }
    const bySdk = [...gateway.requests];
    gateway.reset();
    // Act
    const signedHttp = notifier({ endpoint: endpoint(stage) });
    await signedHttp.send(TRICKY_IDS, frame);
    await signedHttp.close(TRICKY_IDS);
    // Assess
    expect(sortedPaths(gateway.requests)).toEqual(sortedPaths(bySdk));
    expect(sortedPaths(gateway.requests)).toContain(`POST ${stage}/@connections/a%2Bb%2Fc%3D`);
    for (const request of gateway.requests) {
      const twin = bySdk.find((r) => r.method === request.method && r.rawPath === request.rawPath);
      expect(request.headers['content-type']).toBe(twin?.headers['content-type']);
      expect(request.headers['content-length']).toBe(twin?.headers['content-length']);
      expect(request.body.equals(twin?.body ?? Buffer.alloc(1))).toBe(true);
      expect(await verifySigV4(request, credentials.secretAccessKey)).toEqual({ ok: true });
    }
  });

  it("signs with the SDK's default credential chain (Lambda's environment credentials)", async () => {
    // Prepare
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', 'FwoGZXIvYXdzEnvironmentSessionToken');
    // Act
    const report = await notifier({ credentials: undefined }).send(['CmEnvUIAMCJ5w='], frame);
    // Assess
    expect(report.delivered).toEqual(['CmEnvUIAMCJ5w=']);
    const [request] = gateway.requests as [CapturedRequest];
    expect(request.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEnvironmentSessionToken');
    expect(await verifySigV4(request, credentials.secretAccessKey)).toEqual({ ok: true });
  });

  it('sends no session token header when the credentials have none', async () => {
    // Act
    await notifier({
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
    }).send(['CmA1LUIAMCJ5w='], frame);
    // Assess
    const [request] = gateway.requests as [CapturedRequest];
    expect(request.headers['x-amz-security-token']).toBeUndefined();
    expect(signedHeadersOf(request)).not.toContain('x-amz-security-token');
    expect(await verifySigV4(request, 'secret')).toEqual({ ok: true });
  });

  it('refuses a client of its own, which only the sdk transport uses', () => {
    expect(() => notifier({ client: sdkClient() })).toThrow(ConfigError);
  });
});

describe('GATEWAY_TRANSPORT', () => {
  it.each([
    ['signed-http', false],
    [undefined, true],
  ])('%s: the runtime notifier sends through that transport', async (value, bySdk) => {
    // Prepare: the deployed environment (the functions' credentials come from the environment).
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', credentials.sessionToken);
    const config = parseFunctionConfig('heartbeat', {
      REDIS_URL: 'redis://127.0.0.1:6379',
      WEBSOCKET_CALLBACK_URL: endpoint(),
      AWS_REGION: 'us-east-1',
      GATEWAY_TRANSPORT: value,
      METRICS: 'off',
    });
    const runtime = createRuntime(config);
    // Act
    const report = await runtime.notifier?.send(['CmRunUIAMCJ5w='], frame);
    await runtime.close();
    // Assess: only the SDK sends its user agent header.
    expect(report?.delivered).toEqual(['CmRunUIAMCJ5w=']);
    const [request] = gateway.requests as [CapturedRequest];
    expect('x-amz-user-agent' in request.headers).toBe(bySdk);
    expect(await verifySigV4(request, credentials.secretAccessKey)).toEqual({ ok: true });
  });
});

describe.each(['sdk', 'signed-http'] as const)(
  'createApiGatewayNotifier({ transport: %j }) answers',
  (transport) => {
    const own = (url = endpoint()) => notifier({ endpoint: url, transport });
    const ids = (requests: readonly CapturedRequest[]) =>
      requests.map((r) => decodeURIComponent(r.rawPath.split('/').pop() ?? ''));

    it('410 as gone, without a retry', async () => {
      // Prepare
      gateway.answer = (r) => (r.rawPath.endsWith('CmGone') ? 410 : 200);
      // Act
      const report = await own().send(['CmGone', 'CmLive'], frame);
      // Assess
      expect(report).toEqual({
        delivered: ['CmLive'],
        gone: ['CmGone'],
        failed: [],
        throttled: [],
        unreachable: [],
      });
      expect(ids(gateway.requests).sort()).toEqual(['CmGone', 'CmLive']);
    });

    it('500 as failed (unreachable) after one retry, and a 500 or 429 followed by success as delivered', async () => {
      // Prepare: no backoff jitter, so the retry goes out at once.
      vi.spyOn(Math, 'random').mockReturnValue(0);
      let throttled = false;
      let flaked = false;
      gateway.answer = (r) => {
        if (r.rawPath.endsWith('CmFail')) return 500;
        if (r.rawPath.endsWith('CmFlaky') && !flaked) return (flaked = true) && 500;
        if (r.rawPath.endsWith('CmBusy') && !throttled) return (throttled = true) && 429;
        return 200;
      };
      // Act
      const report = await own().send(['CmFail', 'CmFlaky', 'CmBusy'], frame);
      // Assess
      expect(report).toEqual({
        delivered: expect.arrayContaining(['CmFlaky', 'CmBusy']),
        gone: [],
        failed: ['CmFail'],
        throttled: [],
        unreachable: ['CmFail'],
      });
      expect(ids(gateway.requests).sort()).toEqual([
        'CmBusy',
        'CmBusy',
        'CmFail',
        'CmFail',
        'CmFlaky',
        'CmFlaky',
      ]);
    });

    it('a 400 as failed, without a retry, and without throwing (a refusal is not an outage)', async () => {
      gateway.answer = () => 400;
      const report = await own().close(['CmBad']);
      expect(report).toEqual({
        delivered: [],
        gone: [],
        failed: ['CmBad'],
        throttled: [],
        unreachable: [],
      });
      expect(gateway.requests).toHaveLength(1);
    });

    it('429 after the retry as a throttle (failed), not an outage', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      gateway.answer = (r) => (r.rawPath.endsWith('CmSlow') ? 429 : 200);
      const report = await own().send(['CmSlow', 'CmOk'], frame);
      expect(report).toEqual({
        delivered: ['CmOk'],
        gone: [],
        failed: ['CmSlow'],
        throttled: ['CmSlow'],
        unreachable: [],
      });
    });

    it('throws NotifierUnavailableError when every request of a call failed at the gateway', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      gateway.answer = () => 503;
      const error = await own()
        .send(['CmA', 'CmB'], frame)
        .catch((e: unknown) => e);
      expect(NotifierUnavailableError.isInstance(error)).toBe(true);
      expect(httpStatusOf(error)).toBe(503);
    });

    it(`no answer within ${GATEWAY_REQUEST_TIMEOUT_MS} ms as unreachable, after one retry: the lone request failing makes the call throw`, async () => {
      // Prepare: virtual timers drive the request timeout; sockets stay real.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      vi.spyOn(Math, 'random').mockReturnValue(0);
      gateway.answer = () => 'hang';
      // Act
      const sending = own()
        .send(['CmHang'], frame)
        .catch((e: unknown) => e);
      await gateway.received(1);
      await vi.advanceTimersByTimeAsync(GATEWAY_REQUEST_TIMEOUT_MS);
      await untilReceived(2);
      await vi.advanceTimersByTimeAsync(GATEWAY_REQUEST_TIMEOUT_MS);
      // Assess
      expect(NotifierUnavailableError.isInstance(await sending)).toBe(true);
      expect(ids(gateway.requests)).toEqual(['CmHang', 'CmHang']);
    });

    it('a gateway that refuses connections as an outage: NotifierUnavailableError', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const error = await own('http://127.0.0.1:1/prod')
        .send(['CmDown'], frame)
        .catch((e: unknown) => e);
      expect(NotifierUnavailableError.isInstance(error)).toBe(true);
    });
  },
);

/**
 * Lets sockets work until `count` requests arrived, moving virtual time 1 ms a step: a retry's zero
 * backoff set while timers run is due 1 ms later (fake-timers), far below any timeout here.
 */
async function untilReceived(count: number): Promise<void> {
  while (gateway.requests.length < count) {
    await vi.advanceTimersByTimeAsync(1);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
