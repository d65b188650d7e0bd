import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORBIDDEN_BODY, type PresenceHandlers } from '../src/index.js';
import { dynamoUnavailable, freshActivityTable, useDynalite } from './support/dynamo.js';
import { httpApiEvent, restEvent, updateEvent, webSocketEvent } from './support/fixtures.js';
import { backendsAvailable } from './support/infra.js';
import { ALICE, BOB, CAROL } from './support/users.js';
import { createWorld, personalDataAtInfo, type World } from './support/world.js';

const available =
  (await backendsAvailable('activity-handlers.test.ts')) &&
  dynamoUnavailable('activity-handlers.test.ts') === undefined;

const MDN = 'https://developer.mozilla.org/en-US/docs/Web/API/WebSocket';
const MDN_TITLE = 'WebSocket - Web APIs | MDN';
const WEB_CLIENT = 'http://localhost:4200';

/** A REST API (v1) `/activity` request behind the Cognito authorizer. */
function restActivity(
  method: 'GET' | 'DELETE' | 'OPTIONS',
  user: string,
  query: Record<string, string> | null = null,
): APIGatewayProxyEvent {
  const event = restEvent('rest-get-presence-cognito', { cognitoUser: user });
  event.httpMethod = method;
  event.resource = '/activity';
  event.path = '/activity';
  event.queryStringParameters = query;
  return event;
}

/** An HTTP API (v2) `/activity` request whose token the function verifies. */
function httpActivity(
  method: 'GET' | 'DELETE',
  token: string,
  query?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const event = httpApiEvent('http-api-get-presence', { token: `Bearer ${token}` });
  event.requestContext.http.method = method;
  event.routeKey = `${method} /activity`;
  event.rawPath = '/prod/activity';
  if (query !== undefined) {
    event.queryStringParameters = query;
    event.rawQueryString = new URLSearchParams(query).toString();
  }
  return event;
}

const bodyOf = (response: { body: string }) =>
  JSON.parse(response.body) as {
    entries: { id: string; at: string; type: string; page?: Record<string, string> }[];
    nextCursor: string | null;
  };

describe.skipIf(!available)(
  'GET and DELETE /activity over real Redis, PostgreSQL and DynamoDB (dynalite)',
  () => {
    let world: World;
    let handlers: PresenceHandlers;
    let table: Awaited<ReturnType<typeof freshActivityTable>>;
    const connection = 'CmAcAlUIAMCJ5w=';
    const times: Record<string, number> = {};

    beforeAll(async () => {
      useDynalite();
      world = await createWorld('activity');
      table = await freshActivityTable('edge');
      ({ handlers } = world.variant({ ACTIVITY_TABLE_NAME: table.tableName }));
      // Alice comes online, shares MDN, then a hidden page, then leaves.
      times.online = world.clock.now();
      await handlers.connect(
        webSocketEvent('websocket-connect', { userId: ALICE, connectionId: connection }),
      );
      world.clock.advance(1_000);
      times.shared = world.clock.now();
      await handlers.updatePresence(updateEvent(ALICE, connection, MDN, MDN_TITLE));
      world.clock.advance(1_000);
      times.hidden = world.clock.now();
      await handlers.updatePresence(updateEvent(ALICE, connection, '', ''));
      world.clock.advance(1_000);
      times.offline = world.clock.now();
      await handlers.disconnect(
        webSocketEvent('websocket-disconnect', { userId: ALICE, connectionId: connection }),
      );
    });
    afterAll(async () => {
      const leaks = personalDataAtInfo(world.logs, [MDN, MDN_TITLE, 'Martin']);
      await world.close();
      await table.drop();
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      expect(leaks).toEqual([]);
    });

    it('lists what the functions recorded, newest first: offline, the shared page, online; never the hidden page', async () => {
      const response = await handlers.getActivity(restActivity('GET', ALICE));
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': WEB_CLIENT,
      });
      const body = bodyOf(response);
      expect(body.nextCursor).toBeNull();
      expect(body.entries.map((e) => ({ at: e.at, type: e.type, page: e.page }))).toEqual([
        { at: new Date(times.offline as number).toISOString(), type: 'offline', page: undefined },
        {
          at: new Date(times.shared as number).toISOString(),
          type: 'update-presence',
          page: { url: MDN, title: MDN_TITLE, domain: 'mozilla.org' },
        },
        { at: new Date(times.online as number).toISOString(), type: 'online', page: undefined },
      ]);
      for (const entry of body.entries) expect(entry.id).toMatch(/\S/);
    });

    it('pages with limit and the cursor it hands out, the same through the HTTP API (v2) with a verified token', async () => {
      const first = await handlers.getActivity(restActivity('GET', ALICE, { limit: '2' }));
      const page1 = bodyOf(first);
      expect(page1.entries.map((e) => e.type)).toEqual(['offline', 'update-presence']);
      expect(page1.nextCursor).toEqual(expect.any(String));
      const second = await handlers.getActivity(
        httpActivity('GET', world.issuer.token(ALICE), {
          limit: '2',
          cursor: page1.nextCursor as string,
        }),
      );
      expect(second.statusCode).toBe(200);
      expect(bodyOf(second)).toEqual({
        entries: [expect.objectContaining({ type: 'online' })],
        nextCursor: null,
      });
    });

    it.each([
      [{ limit: '0' }, /limit must be an integer from 1 to 100/],
      [{ limit: '101' }, /limit must be an integer from 1 to 100/],
      [{ limit: 'ten' }, /limit must be an integer from 1 to 100/],
      [{ limit: '-1' }, /limit must be an integer from 1 to 100/],
      [{ cursor: 'not-a-cursor' }, /cursor/],
    ])('answers %j with 400 invalid_input', async (query, message) => {
      const response = await handlers.getActivity(restActivity('GET', ALICE, query));
      expect(response.statusCode).toBe(400);
      const body = JSON.parse(response.body) as { code: string; message: string };
      expect(body.code).toBe('invalid_input');
      expect(body.message).toMatch(message);
    });

    it("refuses anyone else's history with the 403 text body, for reading and erasing; the caller's own id is fine", async () => {
      for (const response of [
        await handlers.getActivity(restActivity('GET', BOB, { userId: ALICE })),
        await handlers.deleteActivity(restActivity('DELETE', BOB, { userId: ALICE })),
      ]) {
        expect(response.statusCode).toBe(403);
        expect(response.body).toBe(FORBIDDEN_BODY);
        expect(response.headers?.['Access-Control-Allow-Origin']).toBe(WEB_CLIENT);
      }
      const own = await handlers.getActivity(restActivity('GET', ALICE, { userId: ALICE }));
      expect(own.statusCode).toBe(200);
      // Bob's own history holds nothing of Alice's.
      expect(bodyOf(await handlers.getActivity(restActivity('GET', BOB))).entries).toEqual([]);
    });

    it('401 without a token, and the preflight allows DELETE', async () => {
      const anonymous = httpActivity('GET', 'x');
      delete anonymous.headers.authorization;
      expect((await handlers.getActivity(anonymous)).statusCode).toBe(401);
      const preflight = await handlers.deleteActivity(restActivity('OPTIONS', ALICE));
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers).toMatchObject({
        'Access-Control-Allow-Origin': WEB_CLIENT,
        'Access-Control-Allow-Methods': 'GET, DELETE, OPTIONS',
      });
    });

    it('DELETE erases the whole history: 204 with an empty body, idempotent', async () => {
      const erased = await handlers.deleteActivity(
        httpActivity('DELETE', world.issuer.token(ALICE)),
      );
      expect(erased.statusCode).toBe(204);
      expect(erased.body).toBe('');
      expect(erased.headers?.['Access-Control-Allow-Origin']).toBe(WEB_CLIENT);
      expect(bodyOf(await handlers.getActivity(restActivity('GET', ALICE)))).toEqual({
        entries: [],
        nextCursor: null,
      });
      expect((await handlers.deleteActivity(restActivity('DELETE', ALICE))).statusCode).toBe(204);
    });

    it('answers 404 not_found when no ACTIVITY_TABLE_NAME is set (and records nothing)', async () => {
      for (const response of [
        await world.handlers.getActivity(restActivity('GET', ALICE)),
        await world.handlers.deleteActivity(restActivity('DELETE', ALICE)),
      ]) {
        expect(response.statusCode).toBe(404);
        expect(JSON.parse(response.body)).toEqual({
          code: 'not_found',
          message: 'activity history is not enabled',
        });
      }
    });

    it('answers 503 activity_unavailable when DynamoDB fails, and the recording functions go on with a warn line', async () => {
      const broken = world.variant({ ACTIVITY_TABLE_NAME: 'presence-no-such-table' }).handlers;
      const response = await broken.getActivity(restActivity('GET', CAROL));
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body)).toEqual({
        code: 'activity_unavailable',
        message: 'The activity history is unavailable, retry later',
      });
      expect((await broken.deleteActivity(restActivity('DELETE', CAROL))).statusCode).toBe(503);
      const before = world.logs.length;
      const connected = await broken.connect(
        webSocketEvent('websocket-connect', { userId: CAROL, connectionId: 'CmAcCaUIAMCJ5w=' }),
      );
      expect((connected as { statusCode: number }).statusCode).toBe(200);
      const warned = world.logs
        .slice(before)
        .find((line) => line.level === 'warn' && line.activity === 'append');
      expect(warned).toMatchObject({ op: 'connect', code: 'activity_unavailable', failures: 1 });
      await broken.disconnect(
        webSocketEvent('websocket-disconnect', { userId: CAROL, connectionId: 'CmAcCaUIAMCJ5w=' }),
      );
    });
  },
);
