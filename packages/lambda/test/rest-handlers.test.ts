import { getPresenceResponseSchema, userPageResponseSchema } from '@presence/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiEvent, restEvent, updateEvent, webSocketEvent } from './support/fixtures.js';
import { backendsAvailable } from './support/infra.js';
import { TestIssuer } from './support/jwks.js';
import { ALICE, BOB, CAROL, DAVE, ERIN } from './support/users.js';
import { createWorld, personalDataAtInfo, type World } from './support/world.js';

const available = await backendsAvailable('rest-handlers.test.ts');

const MDN = 'https://developer.mozilla.org/en-US/docs/Web/API/WebSocket';
const MDN_TITLE = 'WebSocket - Web APIs | MDN';
const WEB_CLIENT = 'http://localhost:4200';

describe.skipIf(!available)('REST handlers over real Redis and PostgreSQL', () => {
  let world: World;
  const aliceConnection = 'CmRsAlUIAMCJ5w=';
  const bobConnection = 'CmRsBoUIAMCJ5w=';

  beforeAll(async () => {
    world = await createWorld('rest');
    // Alice online and sharing MDN; Bob online, never shared; Carol, Dave, Erin offline.
    await world.handlers.connect(
      webSocketEvent('websocket-connect', { userId: ALICE, connectionId: aliceConnection }),
    );
    await world.handlers.connect(
      webSocketEvent('websocket-connect', { userId: BOB, connectionId: bobConnection }),
    );
    await world.handlers.updatePresence(updateEvent(ALICE, aliceConnection, MDN, MDN_TITLE));
  });
  afterAll(async () => {
    const leaks = personalDataAtInfo(world.logs, [MDN, MDN_TITLE, 'Martin', 'Nguyen']);
    await world.close();
    expect(leaks).toEqual([]);
  });

  describe('GET /presence', () => {
    it("answers the PROTOCOL.md body for the Cognito authorizer's user", async () => {
      // Prepare
      const event = restEvent('rest-get-presence-cognito', { cognitoUser: ALICE });
      // Act
      const response = await world.handlers.getPresence(event);
      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': WEB_CLIENT,
        Vary: 'Origin',
      });
      const body = getPresenceResponseSchema.parse(JSON.parse(response.body));
      expect(body.userPresence).toEqual({
        userId: ALICE,
        page: { url: MDN, title: MDN_TITLE, domain: 'mozilla.org' },
        latestPage: { url: MDN, title: MDN_TITLE, domain: 'mozilla.org' },
      });
      // Bob appears once although both friendship rows exist; Erin's request is pending; Dave is a stranger.
      expect(body.presenceArr.map((p) => p.userId).sort()).toEqual([BOB, CAROL].sort());
      expect(body.presenceArr.find((p) => p.userId === BOB)).toEqual({
        userId: BOB,
        page: { url: '', title: '', domain: '' },
        latestPage: { url: '', title: '', domain: '' },
      });
      const carol = body.presenceArr.find((p) => p.userId === CAROL);
      expect(carol).toEqual({ userId: CAROL, page: null, latestPage: null, lastSeenAt: null });
      expect(carol && 'page' in carol).toBe(true); // offline is an explicit null, not a missing key
      expect(body.userInfoMap).toEqual({
        [ALICE]: {
          user_id: ALICE,
          first_name: 'Alice',
          last_name: 'Martin',
          profile_image_extension: 'png',
        },
        [BOB]: {
          user_id: BOB,
          first_name: 'Bob',
          last_name: 'Nguyen',
          profile_image_extension: null,
        },
        [CAROL]: {
          user_id: CAROL,
          first_name: 'Carol',
          last_name: 'Lopez',
          profile_image_extension: 'jpg',
        },
      });
      expect(response.headers?.['Set-Cookie']).toBeUndefined();
    });

    it('answers an offline caller with userPresence an object whose page is null', async () => {
      const response = await world.handlers.getPresence(
        restEvent('rest-get-presence-cognito', { cognitoUser: DAVE }),
      );
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual({
        userPresence: { userId: DAVE, page: null, latestPage: null, lastSeenAt: null },
        presenceArr: [],
        userInfoMap: {
          [DAVE]: {
            user_id: DAVE,
            first_name: 'Dave',
            last_name: 'Smith',
            profile_image_extension: null,
          },
        },
      });
    });

    it.each([
      ['a raw JWT in Authorization', (t: string) => ({ Authorization: t })],
      ['Bearer <jwt>', (t: string) => ({ Authorization: `Bearer ${t}` })],
      ['a lowercase header name', (t: string) => ({ Authorization: undefined, authorization: t })],
      ['an upper-case BEARER', (t: string) => ({ Authorization: `BEARER ${t}` })],
    ])('verifies the token itself when no authorizer ran: %s', async (_, headers) => {
      // Prepare
      const event = restEvent('rest-get-presence-no-authorizer', {
        headers: headers(world.issuer.token(BOB)),
      });
      // Act
      const response = await world.handlers.getPresence(event);
      // Assess
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).userPresence.userId).toBe(BOB);
    });

    it.each([
      ['missing', () => ({ Authorization: undefined })],
      ['garbage', () => ({ Authorization: 'garbage' })],
      [
        'expired',
        () => ({
          Authorization: world.issuer.token(BOB, { exp: Math.floor(Date.now() / 1000) - 5 }),
        }),
      ],
      [
        'from another issuer',
        () => ({
          Authorization: world.issuer.token(BOB, {
            iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other',
          }),
        }),
      ],
      [
        'for another audience',
        () => ({ Authorization: world.issuer.token(BOB, { aud: 'another-app-client' }) }),
      ],
      [
        'an access token',
        () => ({ Authorization: world.issuer.token(BOB, { token_use: 'access' }) }),
      ],
      ['alg none', () => ({ Authorization: world.issuer.unsignedToken(BOB) })],
      [
        'signed by a foreign key',
        () => ({ Authorization: world.issuer.token(BOB, {}, { key: TestIssuer.foreignKey() }) }),
      ],
      ['"Bearer " alone', () => ({ Authorization: 'Bearer ' })],
    ])(
      'answers 401 with a JSON {code,message} body and CORS headers for a %s token',
      async (_, headers) => {
        // Prepare
        const event = restEvent('rest-get-presence-no-authorizer', { headers: headers() });
        // Act
        const response = await world.handlers.getPresence(event);
        // Assess
        expect(response.statusCode).toBe(401);
        expect(JSON.parse(response.body)).toEqual({
          code: 'unauthorized',
          message: expect.any(String),
        });
        expect(response.headers).toMatchObject({
          'Access-Control-Allow-Origin': WEB_CLIENT,
          Vary: 'Origin',
        });
      },
    );

    it('answers 401 when the authorizer claims lack the user id claim', async () => {
      const event = restEvent('rest-get-presence-cognito');
      delete (event.requestContext.authorizer as { claims: Record<string, string> }).claims[
        'cognito:username'
      ];
      const response = await world.handlers.getPresence(event);
      expect(response.statusCode).toBe(401);
    });

    it('answers 400 for an event that is not a REST proxy event', async () => {
      const response = await world.handlers.getPresence({
        headers: { origin: WEB_CLIENT },
      } as never);
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'invalid_input' });
      expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': WEB_CLIENT });
    });
  });

  describe('GET /presence/{userId}', () => {
    it("answers a friend's raw stored page {url,title}, without domain", async () => {
      // Prepare
      const event = restEvent('rest-get-user-presence-cognito', {
        cognitoUser: BOB,
        target: ALICE,
      });
      // Act
      const response = await world.handlers.getUserPresence(event);
      // Assess
      expect(response.statusCode).toBe(200);
      expect(userPageResponseSchema.strict().parse(JSON.parse(response.body))).toEqual({
        url: MDN,
        title: MDN_TITLE,
      });
    });

    it('lets the caller read themself, and a friend in the other direction of the request', async () => {
      const self = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: ALICE }),
      );
      const reverse = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: CAROL }),
      );
      expect(self.statusCode).toBe(200);
      expect(JSON.parse(self.body)).toEqual({ url: MDN, title: MDN_TITLE });
      expect(reverse).toMatchObject({ statusCode: 200, body: '' }); // Carol is offline: empty body
    });

    it('answers an online friend who hides the page with empty strings', async () => {
      const response = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: BOB }),
      );
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ url: '', title: '' });
    });

    it.each([
      ['a stranger', DAVE, ALICE],
      ['a pending request', ALICE, ERIN],
      ['an unknown user', ALICE, 'nobody-at-all'],
    ])(
      'answers 403 with exactly "Forbidden access to user presence" for %s',
      async (_, caller, target) => {
        // Prepare
        const event = restEvent('rest-get-user-presence-cognito', { cognitoUser: caller, target });
        // Act
        const response = await world.handlers.getUserPresence(event);
        // Assess
        expect(response.statusCode).toBe(403);
        expect(response.body).toBe('Forbidden access to user presence');
        expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': WEB_CLIENT });
      },
    );

    it('answers 404 when the path has no user id', async () => {
      const response = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: null }),
      );
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'not_found' });
    });

    it('answers 400 for a user id no user service would issue', async () => {
      const response = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: 'a b\u0000c' }),
      );
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        code: 'invalid_input',
        message: expect.stringContaining('target userId'),
      });
    });

    it('answers 401 without a token and without an authorizer', async () => {
      const event = restEvent('rest-get-presence-no-authorizer', {
        headers: { Authorization: undefined },
      });
      event.pathParameters = { userId: ALICE };
      const response = await world.handlers.getUserPresence(event);
      expect(response.statusCode).toBe(401);
    });
  });

  describe('CORS', () => {
    it.each([
      ['the web client', WEB_CLIENT, WEB_CLIENT],
      [
        'the extension',
        'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
        'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      ],
      ['an unknown site', 'https://evil.example', undefined],
      ['no Origin', undefined, undefined],
    ])('echoes an allowed Origin only: %s', async (_, origin, allowed) => {
      // Prepare
      const event = restEvent('rest-get-presence-cognito', {
        cognitoUser: ALICE,
        headers: { origin },
      });
      // Act
      const response = await world.handlers.getPresence(event);
      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['Access-Control-Allow-Origin']).toBe(allowed);
      expect(response.headers?.Vary).toBe('Origin');
      expect(response.headers?.['Access-Control-Allow-Credentials']).toBeUndefined();
    });

    it('answers a preflight with 204 and the allowed methods and headers, without auth', async () => {
      const response = await world.handlers.getPresence(restEvent('rest-options-presence'));
      expect(response).toEqual({
        statusCode: 204,
        headers: {
          Vary: 'Origin',
          'Access-Control-Allow-Origin': WEB_CLIENT,
          'Access-Control-Allow-Methods': 'GET, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        },
        body: '',
      });
    });
  });

  describe('HTTP API (payload format 2.0): the same answers as the REST API', () => {
    /** Status, headers and body: all a field client sees. */
    const seen = (r: { statusCode: number; headers?: unknown; body: string }) => ({
      statusCode: r.statusCode,
      headers: r.headers,
      body: r.body,
    });

    it('GET /presence with the token verified by the function (raw and Bearer, lowercase header)', async () => {
      const token = world.issuer.token(BOB);
      const v1 = await world.handlers.getPresence(
        restEvent('rest-get-presence-no-authorizer', { headers: { Authorization: token } }),
      );
      for (const header of [token, `Bearer ${token}`]) {
        const v2 = await world.handlers.getPresence(
          httpApiEvent('http-api-get-presence', { token: header }),
        );
        expect(seen(v2)).toEqual(seen(v1));
      }
      expect(JSON.parse(v1.body).userPresence.userId).toBe(BOB);
    });

    it('GET /presence/{userId} behind the JWT authorizer: the user from its claims', async () => {
      const v1 = await world.handlers.getUserPresence(
        restEvent('rest-get-user-presence-cognito', { cognitoUser: BOB, target: ALICE }),
      );
      const v2 = await world.handlers.getUserPresence(
        httpApiEvent('http-api-get-user-presence-jwt', { cognitoUser: BOB, target: ALICE }),
      );
      expect(v2.statusCode).toBe(200);
      expect(seen(v2)).toEqual(seen(v1));
    });

    it('the 403 body, the empty offline body, 401 and CORS are the same', async () => {
      const pairs = [
        [
          restEvent('rest-get-user-presence-cognito', { cognitoUser: DAVE, target: ALICE }),
          httpApiEvent('http-api-get-user-presence-jwt', { cognitoUser: DAVE, target: ALICE }),
        ],
        [
          restEvent('rest-get-user-presence-cognito', { cognitoUser: ALICE, target: CAROL }),
          httpApiEvent('http-api-get-user-presence-jwt', { cognitoUser: ALICE, target: CAROL }),
        ],
      ] as const;
      for (const [v1Event, v2Event] of pairs) {
        expect(seen(await world.handlers.getUserPresence(v2Event))).toEqual(
          seen(await world.handlers.getUserPresence(v1Event)),
        );
      }
      const forbidden = await world.handlers.getUserPresence(pairs[0][1]);
      expect(forbidden).toMatchObject({
        statusCode: 403,
        body: 'Forbidden access to user presence',
      });
      const refused = await world.handlers.getPresence(
        httpApiEvent('http-api-get-presence', { token: 'garbage' }),
      );
      expect(refused.statusCode).toBe(401);
      expect(refused.headers).toMatchObject({
        'Access-Control-Allow-Origin': WEB_CLIENT,
        Vary: 'Origin',
      });
    });
  });

  it('logs one info line per request with operation, user, status and latency, nothing personal', async () => {
    const before = world.logs.length;
    await world.handlers.getPresence(
      restEvent('rest-get-presence-cognito', { cognitoUser: ALICE }),
    );
    const lines = world.logs.slice(before).filter((line) => line.level === 'info');
    expect(lines).toEqual([
      {
        level: 'info',
        time: expect.any(String),
        msg: 'get-presence',
        op: 'get-presence',
        userId: ALICE,
        requestId: '5c1b4e7a-2d3f-4a6b-9c8d-7e0f1a2b3c4d',
        status: 200,
        latencyMs: expect.any(Number),
        friends: 2,
        online: 1,
      },
    ]);
  });
});
