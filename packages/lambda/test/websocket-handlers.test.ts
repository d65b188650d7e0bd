import {
  errorFrameSchema,
  serverFrameSchema,
  updatePresenceServerFrameSchema,
} from '@presence/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizerEvent,
  lambdaContext,
  scheduledEvent,
  updateEvent,
  webSocketEvent,
} from './support/fixtures.js';
import { backendsAvailable } from './support/infra.js';
import { ALICE, BOB, CAROL, DAVE, ERIN } from './support/users.js';
import { createWorld, personalDataAtInfo, type World } from './support/world.js';

const available = await backendsAvailable('websocket-handlers.test.ts');

/** `lastSeenAt` as the protocol states it: the last activity rounded down to 5 minutes (the default). */
const roundedToFiveMinutes = (ms: number) => new Date(ms - (ms % 300_000)).toISOString();

const MDN = 'https://developer.mozilla.org/en-US/docs/Web/API/WebSocket';
const MDN_TITLE = 'WebSocket - Web APIs | MDN';

describe.skipIf(!available)(
  'WebSocket handlers over real Redis, PostgreSQL and an @connections stand-in',
  () => {
    let world: World;
    let n = 0;
    /** A fresh API Gateway-looking connection id per call. */
    const conn = () => `Cm${(n++).toString(36).padStart(4, '0')}LUIAMCJ5w=`;

    beforeAll(async () => {
      world = await createWorld('ws');
    });
    afterAll(async () => {
      const leaks = personalDataAtInfo(world.logs, [
        MDN,
        MDN_TITLE,
        'bank.com',
        'example.org/secret',
      ]);
      await world.close();
      expect(leaks).toEqual([]);
    });
    afterEach(() => {
      world.gateway.clear();
    });

    const connect = async (userId: string) => {
      const connectionId = conn();
      const result = await world.handlers.connect(
        webSocketEvent('websocket-connect', { userId, connectionId }),
      );
      expect(result).toEqual({ statusCode: 200 });
      return connectionId;
    };

    describe('authorizer ($connect REQUEST authorizer)', () => {
      it('allows a valid ID token and hands the user id to later routes in the context', async () => {
        // Prepare
        const event = authorizerEvent(world.issuer.token(ALICE));
        // Act
        const result = await world.handlers.authorizer(event);
        // Assess
        expect(result).toEqual({
          principalId: ALICE,
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn },
            ],
          },
          context: { userId: ALICE },
        });
      });

      it.each([
        ['missing', () => undefined],
        ['empty', () => ''],
        ['garbage', () => 'not-a-jwt'],
        ['expired', () => world.issuer.token(ALICE, { exp: Math.floor(Date.now() / 1000) - 60 })],
        ['an access token', () => world.issuer.token(ALICE, { token_use: 'access' })],
        ['alg none', () => world.issuer.unsignedToken(ALICE)],
      ])(
        'throws exactly "Unauthorized" (API Gateway answers 401, never 500) for a %s token',
        async (_, token) => {
          // Prepare
          const event = authorizerEvent(token());
          // Act
          const outcome = world.handlers.authorizer(event);
          // Assess
          await expect(outcome).rejects.toThrow(/^Unauthorized$/);
        },
      );

      it.each([
        ['authorization', (t: string) => t],
        ['Authorization', (t: string) => `Bearer ${t}`],
      ])(
        'falls back to the %s header when the query string has no token (REST routes)',
        async (name, value) => {
          // Prepare
          const event = authorizerEvent(undefined);
          event.headers = { [name]: value(world.issuer.token(ALICE)) };
          // Act
          const result = await world.handlers.authorizer(event);
          // Assess
          expect(result.context).toEqual({ userId: ALICE });
        },
      );

      it('throws "Unauthorized" for an event that is not an authorizer event', async () => {
        await expect(world.handlers.authorizer({} as never)).rejects.toThrow(/^Unauthorized$/);
      });
    });

    describe('connect', () => {
      it('registers the connection from the authorizer context and never posts to it', async () => {
        // Prepare
        const connectionId = conn();
        // Act
        const result = await world.handlers.connect(
          webSocketEvent('websocket-connect', { userId: CAROL, connectionId }),
        );
        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(await world.store.userOfConnection(connectionId)).toBe(CAROL);
        expect(world.gateway.posted).toEqual([]);
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { userId: CAROL, connectionId }),
        );
      });

      it('answers 401 without an authorizer context, and registers nothing', async () => {
        // Prepare
        const connectionId = conn();
        // Act
        const result = await world.handlers.connect(
          webSocketEvent('websocket-connect', { userId: null, connectionId }),
        );
        // Assess
        expect(result).toEqual({ statusCode: 401 });
        expect(await world.store.userOfConnection(connectionId)).toBeUndefined();
        expect(world.gateway.posted).toEqual([]);
      });

      it('answers 400 for a connection id API Gateway would never send', async () => {
        const result = await world.handlers.connect(
          webSocketEvent('websocket-connect', { userId: DAVE, connectionId: 'bad id with spaces' }),
        );
        expect(result).toEqual({ statusCode: 400 });
      });
    });

    describe('update-presence', () => {
      it("sends the PROTOCOL.md frame to online friends and back to all of the user's own connections", async () => {
        // Prepare
        const aliceTab1 = await connect(ALICE);
        const aliceTab2 = await connect(ALICE);
        const bob = await connect(BOB);
        const carol = await connect(CAROL);
        const dave = await connect(DAVE);
        const erin = await connect(ERIN);
        // Act
        const result = await world.handlers.updatePresence(
          updateEvent(ALICE, aliceTab1, MDN, MDN_TITLE),
        );
        // Assess
        expect(result).toEqual({ statusCode: 200 });
        const expected = {
          type: 'update-presence',
          userId: ALICE,
          url: MDN,
          title: MDN_TITLE,
          domain: 'mozilla.org',
          latestUrl: MDN,
          latestTitle: MDN_TITLE,
          latestDomain: 'mozilla.org',
        };
        for (const id of [aliceTab1, aliceTab2, bob, carol]) {
          expect(world.gateway.framesFor(id)).toEqual([expected]);
        }
        expect(
          updatePresenceServerFrameSchema.strict().parse(world.gateway.framesFor(bob)[0]),
        ).toEqual(expected);
        expect(world.gateway.framesFor(dave)).toEqual([]); // a stranger
        expect(world.gateway.framesFor(erin)).toEqual([]); // a pending request is not a friendship
        for (const id of [aliceTab1, aliceTab2, bob, carol, dave, erin]) {
          await world.handlers.disconnect(
            webSocketEvent('websocket-disconnect', { connectionId: id }),
          );
        }
      });

      it('broadcasts a hidden page with empty fields and keeps the latest shared page', async () => {
        // Prepare
        const alice = await connect(ALICE);
        const bob = await connect(BOB);
        await world.handlers.updatePresence(updateEvent(ALICE, alice, MDN, MDN_TITLE));
        world.gateway.clear();
        // Act: the client hides the page, then visits a denied domain (the server applies the rule too)
        await world.handlers.updatePresence(updateEvent(ALICE, alice, '', ''));
        await world.handlers.updatePresence(
          updateEvent(ALICE, alice, 'https://www.bank.com/accounts', 'My accounts'),
        );
        // Assess
        const hidden = {
          type: 'update-presence',
          userId: ALICE,
          url: '',
          title: '',
          domain: '',
          latestUrl: MDN,
          latestTitle: MDN_TITLE,
          latestDomain: 'mozilla.org',
        };
        // The denied page makes the very frame Bob already holds: it is not sent again (the skip rule).
        expect(world.gateway.framesFor(bob)).toEqual([hidden]);
        for (const id of [alice, bob]) {
          await world.handlers.disconnect(
            webSocketEvent('websocket-disconnect', { connectionId: id }),
          );
        }
      });

      it('removes a gone friend connection (410) and tells the user that friend went offline', async () => {
        // Prepare
        const alice = await connect(ALICE);
        const bob = await connect(BOB);
        const bobSeen = world.clock.now();
        world.gateway.markGone(bob);
        // Act
        const result = await world.handlers.updatePresence(
          updateEvent(ALICE, alice, MDN, MDN_TITLE),
        );
        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(await world.store.userOfConnection(bob)).toBeUndefined();
        expect((await world.store.presenceOf([BOB])).has(BOB)).toBe(false);
        expect(world.gateway.framesFor(alice)).toContainEqual({
          type: 'presence-timeout',
          userId: BOB,
          lastSeenAt: roundedToFiveMinutes(bobSeen),
        });
        const line = world.logs.findLast((l) => l.op === 'update-presence' && l.level === 'info');
        expect(line).toMatchObject({ userId: ALICE, status: 200, recipients: 2, gone: 1 });
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: alice }),
        );
      });

      it.each([
        ['malformed JSON', '{"action":"update-presence","url":', 'invalid_frame'],
        [
          'a missing title',
          '{"action":"update-presence","url":"https://example.org/"}',
          'invalid_frame',
        ],
        [
          'a url over the limit',
          JSON.stringify({
            action: 'update-presence',
            url: `https://example.org/${'a'.repeat(9000)}`,
            title: '',
          }),
          'invalid_frame',
        ],
      ])(
        'answers %s with a JSON error frame to that connection, status 200, nothing stored',
        async (_, body, code) => {
          // Prepare
          const alice = await connect(ALICE);
          const bob = await connect(BOB);
          // Act
          const result = await world.handlers.updatePresence(
            webSocketEvent('websocket-update-presence', {
              userId: ALICE,
              connectionId: alice,
              body,
            }),
          );
          // Assess
          expect(result).toEqual({ statusCode: 200 });
          const [frame, ...rest] = world.gateway.framesFor(alice);
          expect(rest).toEqual([]);
          expect(errorFrameSchema.strict().parse(frame)).toMatchObject({ type: 'error', code });
          expect(world.gateway.framesFor(bob)).toEqual([]);
          expect((await world.store.presenceOf([ALICE])).get(ALICE)?.page).toEqual({
            url: '',
            title: '',
          });
          for (const id of [alice, bob]) {
            await world.handlers.disconnect(
              webSocketEvent('websocket-disconnect', { connectionId: id }),
            );
          }
        },
      );
    });

    describe('heartbeat', () => {
      it('refreshes last-seen so that the sweep keeps the connection', async () => {
        // Prepare
        const alice = await connect(ALICE);
        await world.elapse(170_000);
        const before = world.logs.length;
        // Act
        const result = await world.handlers.heartbeat(
          webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: alice }),
        );
        world.clock.advance(20_000);
        const report = await world.handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 60_000),
        );
        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(report.expired).toBe(0);
        expect(await world.store.userOfConnection(alice)).toBe(ALICE);
        // The most frequent invocation logs its line at debug only.
        const lines = world.logs.slice(before).filter((l) => l.op === 'heartbeat');
        expect(lines.map((l) => l.level)).toEqual(['debug']);
        expect(lines[0]).toMatchObject({ status: 200, action: 'heartbeat', userId: ALICE });
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: alice }),
        );
      });

      it('brings a swept connection back online on its next heartbeat (the earlier deployment could not)', async () => {
        // Prepare
        const alice = await connect(ALICE);
        await world.elapse(181_000);
        await world.handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 60_000),
        );
        expect(await world.store.userOfConnection(alice)).toBeUndefined();
        // Act
        await world.handlers.heartbeat(
          webSocketEvent('websocket-heartbeat', { userId: ALICE, connectionId: alice }),
        );
        // Assess
        expect(await world.store.userOfConnection(alice)).toBe(ALICE);
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: alice }),
        );
      });

      it('answers a frame without authorizer context with an unauthorized error frame and 401', async () => {
        const connectionId = conn();
        const result = await world.handlers.heartbeat(
          webSocketEvent('websocket-heartbeat', { userId: null, connectionId }),
        );
        expect(result).toEqual({ statusCode: 401 });
        expect(world.gateway.framesFor(connectionId)).toEqual([
          { type: 'error', code: 'unauthorized', message: expect.any(String) },
        ]);
        expect(await world.store.userOfConnection(connectionId)).toBeUndefined();
      });
    });

    describe('$default', () => {
      it.each([
        ['an unknown action', '{"action":"subscribe","channel":"friends"}'],
        ['malformed JSON', '{not json'],
        ['plain text', 'hello'],
        ['an empty body', ''],
      ])('answers %s with a JSON error frame (never plain text)', async (_, body) => {
        // Prepare
        const alice = await connect(ALICE);
        // Act
        const result = await world.handlers.default(
          webSocketEvent('websocket-default', { userId: ALICE, connectionId: alice, body }),
        );
        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(world.gateway.rawBodies).toHaveLength(1);
        const frame = serverFrameSchema.parse(JSON.parse(world.gateway.rawBodies[0] as string));
        expect(frame).toMatchObject({ type: 'error', code: 'invalid_frame' });
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: alice }),
        );
      });

      it('replays the fixture as API Gateway sends it', async () => {
        const alice = await connect(ALICE);
        const event = webSocketEvent('websocket-default', { userId: ALICE, connectionId: alice });
        expect(await world.handlers.default(event)).toEqual({ statusCode: 200 });
        expect(world.gateway.framesFor(alice)).toEqual([
          {
            type: 'error',
            code: 'invalid_frame',
            message: 'frame action must be one of "heartbeat", "update-presence"',
          },
        ]);
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: alice }),
        );
      });
    });

    describe('disconnect', () => {
      it('closing one of several tabs tells nobody; closing the last sends presence-timeout to online friends only', async () => {
        // Prepare
        const tab1 = await connect(ALICE);
        const tab2 = await connect(ALICE);
        const bob = await connect(BOB);
        const dave = await connect(DAVE);
        world.clock.advance(7_000);
        const aliceLeft = world.clock.now(); // the $disconnect is her last activity
        // Act
        const first = await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: tab1 }),
        );
        const afterFirst = [...world.gateway.posted];
        const last = await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: tab2 }),
        );
        // Assess
        expect(first).toEqual({ statusCode: 200 });
        expect(last).toEqual({ statusCode: 200 });
        expect(afterFirst).toEqual([]);
        expect(world.gateway.posted).toEqual([
          {
            connectionId: bob,
            frame: {
              type: 'presence-timeout',
              userId: ALICE,
              lastSeenAt: roundedToFiveMinutes(aliceLeft),
            },
          },
        ]);
        expect(world.gateway.framesFor(dave)).toEqual([]);
        expect((await world.store.presenceOf([ALICE])).has(ALICE)).toBe(false);
        for (const id of [bob, dave]) {
          await world.handlers.disconnect(
            webSocketEvent('websocket-disconnect', { connectionId: id }),
          );
        }
      });

      it('is idempotent: an unknown connection answers 200 and sends nothing', async () => {
        const result = await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: conn() }),
        );
        expect(result).toEqual({ statusCode: 200 });
        expect(world.gateway.posted).toEqual([]);
      });
    });

    describe('timeout (EventBridge schedule)', () => {
      it('sweeps silent connections, tells friends, closes the stale sockets, and reports it in its result and one info line', async () => {
        // Prepare
        const alice = await connect(ALICE);
        const aliceSeen = world.clock.now(); // her last activity, not the sweep's time
        await world.elapse(100_000);
        const bob = await connect(BOB);
        await world.elapse(81_000); // alice silent 181 s, bob 81 s
        const before = world.logs.length;
        // Act
        const report = await world.handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 55_000),
        );
        // Assess
        expect(report).toMatchObject({
          cutoff: world.clock.now() - 180_000,
          expired: 1,
          offline: 1,
          notified: 1,
          closed: 1,
          batches: 1,
          done: true,
        });
        expect(world.gateway.posted).toEqual([
          {
            connectionId: bob,
            frame: {
              type: 'presence-timeout',
              userId: ALICE,
              lastSeenAt: roundedToFiveMinutes(aliceSeen),
            },
          },
        ]);
        expect(world.gateway.deleted).toEqual([alice]);
        expect(await world.store.userOfConnection(alice)).toBeUndefined();
        expect(await world.store.userOfConnection(bob)).toBe(BOB);
        const info = world.logs.slice(before).filter((line) => line.level === 'info');
        expect(info).toHaveLength(1);
        expect(info[0]).toMatchObject({
          op: 'timeout',
          expired: 1,
          offline: 1,
          notified: 1,
          closed: 1,
          done: true,
        });
        await world.handlers.disconnect(
          webSocketEvent('websocket-disconnect', { connectionId: bob }),
        );
      });

      it('stops at the remaining time minus the safety margin and leaves the rest for the next run', async () => {
        // Prepare: batches of one; each store sweep takes 25 s of (fake) time
        const stale = [await connect(ALICE), await connect(BOB), await connect(CAROL)];
        await world.elapse(200_000);
        const { handlers } = world.variant(
          { PRESENCE_SWEEP_BATCH_SIZE: '1' },
          {
            store: new Proxy(world.store, {
              get(target, key) {
                if (key === 'sweep') {
                  return async (cutoff: number, limit: number) => {
                    const batch = await target.sweep(cutoff, limit);
                    world.clock.advance(25_000);
                    return batch;
                  };
                }
                if (key === 'close') return undefined; // the world closes the real store
                const value = Reflect.get(target, key);
                return typeof value === 'function' ? value.bind(target) : value;
              },
            }),
          },
        );
        const end = world.clock.now() + 30_000;
        // Act
        const first = await handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => end - world.clock.now()),
        );
        const second = await handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 600_000),
        );
        // Assess: 30 s left, 6 s margin: one batch fits, the next run finishes
        expect(first).toMatchObject({ batches: 1, expired: 1, done: false });
        expect(second).toMatchObject({ expired: 2, done: true });
        for (const id of stale) expect(await world.store.userOfConnection(id)).toBeUndefined();
      });

      it('runs no batch when the remaining time is already within the margin', async () => {
        const report = await world.handlers.timeout(
          scheduledEvent(),
          lambdaContext(() => 800),
        );
        expect(report).toMatchObject({ batches: 0, expired: 0, done: false });
      });
    });

    describe('the presence variables reach the service and the store', () => {
      const connectVia = async (handlers: World['handlers'], userId: string) => {
        const connectionId = conn();
        const result = await handlers.connect(
          webSocketEvent('websocket-connect', { userId, connectionId }),
        );
        expect(result).toEqual({ statusCode: 200 });
        return connectionId;
      };
      const disconnectAll = async (handlers: World['handlers'], ids: readonly string[]) => {
        for (const id of ids) {
          await handlers.disconnect(webSocketEvent('websocket-disconnect', { connectionId: id }));
        }
      };

      it('PRESENCE_MAX_CONNECTIONS_PER_USER: a connection over the cap closes the least recently seen one', async () => {
        // Prepare
        const { handlers } = world.variant({ PRESENCE_MAX_CONNECTIONS_PER_USER: '2' });
        const oldest = await connectVia(handlers, ALICE);
        world.clock.advance(1_000);
        const middle = await connectVia(handlers, ALICE);
        world.clock.advance(1_000);
        // Act
        const newest = await connectVia(handlers, ALICE);
        // Assess
        expect(world.gateway.deleted).toEqual([oldest]);
        expect(await world.store.userOfConnection(oldest)).toBeUndefined();
        expect(await world.store.userOfConnection(middle)).toBe(ALICE);
        expect(await world.store.userOfConnection(newest)).toBe(ALICE);
        await disconnectAll(handlers, [middle, newest]);
      });

      it('PRESENCE_FRAME_RATE_PER_SECOND: a frame over the rate gets a rate_limited error frame and changes nothing', async () => {
        // Prepare
        const { handlers } = world.variant({
          PRESENCE_FRAME_RATE_PER_SECOND: '1',
          PRESENCE_FRAME_RATE_BURST: '1',
        });
        const alice = await connectVia(handlers, ALICE);
        const bob = await connectVia(handlers, BOB);
        await handlers.updatePresence(updateEvent(ALICE, alice, MDN, MDN_TITLE));
        // Act: a second page in the same instant
        const result = await handlers.updatePresence(
          updateEvent(ALICE, alice, 'https://example.org/flood', 'Flood'),
        );
        // Assess: a refused frame is answered on the socket, as every rejected frame is (status 200)
        expect(result).toEqual({ statusCode: 200 });
        expect(world.gateway.framesFor(alice).at(-1)).toMatchObject({
          type: 'error',
          code: 'rate_limited',
        });
        expect(world.gateway.framesFor(bob).map((f) => (f as { url?: string }).url)).toEqual([MDN]);
        expect((await world.store.presenceOf([ALICE])).get(ALICE)?.page.url).toBe(MDN);
        // A second later the bucket has a token again.
        world.clock.advance(1_000);
        await handlers.updatePresence(updateEvent(ALICE, alice, 'https://example.org/', 'Ok'));
        expect(world.gateway.framesFor(bob).map((f) => (f as { url?: string }).url)).toEqual([
          MDN,
          'https://example.org/',
        ]);
        await disconnectAll(handlers, [alice, bob]);
      });

      it('PRESENCE_LAST_SEEN_DAYS=0: no last seen is kept, lastSeenAt is null', async () => {
        // Prepare
        const { handlers } = world.variant({ PRESENCE_LAST_SEEN_DAYS: '0' });
        const alice = await connectVia(handlers, ALICE);
        const bob = await connectVia(handlers, BOB);
        // Act
        await disconnectAll(handlers, [alice]);
        // Assess
        expect(world.gateway.framesFor(bob)).toEqual([
          { type: 'presence-timeout', userId: ALICE, lastSeenAt: null },
        ]);
        expect(await world.store.lastSeenOf([ALICE])).toEqual(new Map());
        await disconnectAll(handlers, [bob]);
      });
    });
  },
);
