import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@presence/core';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { allows, describe, flattenContext, isSuccess, refuse } from './edge-responses.js';
import {
  authorizerEvent,
  type ConnectionFacts,
  connectEvent,
  disconnectEvent,
  type GatewayIdentity,
  messageEvent,
  newConnectionId,
  requestFactsOf,
} from './events.js';
import type { GatewayHandlers, RouteResult } from './handlers.js';
import { InvocationQueue } from './invocation-queue.js';

/** API Gateway's WebSocket message size limit (128 KB); larger messages close the socket with 1009. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** Default of {@link WebSocketGatewayOptions.maxConcurrentInvocations}. */
export const DEFAULT_MAX_CONCURRENT_INVOCATIONS = 8;

/** Default of {@link WebSocketGatewayOptions.maxQueuedInvocations}. */
export const DEFAULT_MAX_QUEUED_INVOCATIONS = 2000;

/** Options of {@link WebSocketGateway}. */
export interface WebSocketGatewayOptions {
  readonly api: () => GatewayIdentity;
  readonly handlers: () => Promise<GatewayHandlers>;
  readonly logger: Logger;
  /** API Gateway closes a connection idle for this long. @default 600 (10 minutes) */
  readonly idleTimeoutSeconds?: number;
  /**
   * Whether a route handler's `body` is sent back to the client (two-way routes with a route
   * response). The PresenceApi construct configures none: error frames go through `@connections`.
   * @default false
   */
  readonly routeResponses?: boolean;
  /**
   * Handler invocations (`$connect` with its authorizer, routes, `$disconnect`) running at once, like
   * Lambda concurrency: the others wait in front of the handlers, in order, instead of starting and
   * spending their backend timeouts waiting on the one process's pg pool and event loop.
   * @default 8
   */
  readonly maxConcurrentInvocations?: number;
  /**
   * Invocations waiting past which the gateway stops reading every WebSocket (TCP backpressure on
   * the clients) until half of them have started; a `warn` with counts is logged. Nothing is dropped.
   * @default 2000
   */
  readonly maxQueuedInvocations?: number;
}

interface LiveConnection {
  readonly facts: ConnectionFacts;
  readonly socket: WebSocket;
  lastActiveAt: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set when the gateway closed the socket (`DELETE @connections`, idle, shutdown). */
  closedBy: string | undefined;
}

/** Result of a POST to `@connections/{id}`. */
export type PostOutcome = 'delivered' | 'gone';

const ROUTES = {
  heartbeat: 'heartbeat',
  'update-presence': 'updatePresence',
} as const satisfies Record<string, keyof GatewayHandlers>;

/** The route key API Gateway picks with `$request.body.action`; `$default` when none matches. */
export function selectRoute(body: string): string {
  try {
    const action = (JSON.parse(body) as { action?: unknown } | null)?.action;
    if (typeof action === 'string' && Object.hasOwn(ROUTES, action)) return action;
  } catch {
    // not JSON: API Gateway falls back to $default
  }
  return '$default';
}

/**
 * The WebSocket half of API Gateway: `$connect` through the REQUEST authorizer, route selection on
 * `action`, `$disconnect` on close, and the connection table the `@connections` endpoint writes to.
 */
export class WebSocketGateway {
  readonly #options: WebSocketGatewayOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  readonly #live = new Map<string, LiveConnection>();
  /** Every accepted socket until its 'close' event (a socket being closed has left #live). */
  readonly #open = new Set<Promise<void>>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Frames handed to sockets and not written yet (a counter: one promise per frame cost CPU). */
  #writing = 0;
  readonly #writeWaiters: Array<() => void> = [];
  readonly #idleMs: number;
  /** Every handler invocation goes through it; one connection's frames run one after the other. */
  readonly #invocations: InvocationQueue;
  #closing = false;

  constructor(options: WebSocketGatewayOptions) {
    this.#options = options;
    this.#idleMs = (options.idleTimeoutSeconds ?? 600) * 1000;
    this.#invocations = new InvocationQueue({
      concurrency: options.maxConcurrentInvocations ?? DEFAULT_MAX_CONCURRENT_INVOCATIONS,
      maxQueued: options.maxQueuedInvocations ?? DEFAULT_MAX_QUEUED_INVOCATIONS,
      logger: options.logger,
      onPressure: (on) => this.#setReading(!on),
    });
  }

  /** Number of open connections. */
  get size(): number {
    return this.#live.size;
  }

  /** Handles an HTTP upgrade: authorizer, `$connect`, then the handshake, or a refusal. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#track(this.#upgrade(request, socket, head));
  }

  /** Handler invocations running and waiting (see {@link WebSocketGatewayOptions.maxConcurrentInvocations}). */
  get invocations(): { readonly running: number; readonly queued: number } {
    return { running: this.#invocations.running, queued: this.#invocations.queued };
  }

  /**
   * `POST @connections/{id}`: queues `data` as one text frame on the socket and answers at once, as
   * API Gateway does: a slow reader must not hold the caller past its SDK timeout (which would report
   * the frame failed, and a retry would send it twice). {@link settle} waits for the write.
   */
  post(connectionId: string, data: Buffer): PostOutcome {
    return this.postFrame(connectionId, data);
  }

  /**
   * {@link post} without the HTTP request: the in-process notifier's path. `data` is the frame's
   * UTF-8 text, sent as a text frame; one buffer may go to many sockets (nothing writes into it).
   */
  postFrame(connectionId: string, data: Buffer): PostOutcome {
    const live = this.#live.get(connectionId);
    if (live === undefined || live.socket.readyState !== live.socket.OPEN) return 'gone';
    this.#writing += 1;
    // An error here means the socket is closing: the frame goes with it, as on API Gateway.
    live.socket.send(data, { binary: false }, () => this.#written());
    return 'delivered';
  }

  /** `GET @connections/{id}`: the connection's facts, `undefined` when gone. */
  info(connectionId: string):
    | {
        connectedAt: string;
        identity: { sourceIp: string; userAgent: string };
        lastActiveAt: string;
      }
    | undefined {
    const live = this.#live.get(connectionId);
    if (live === undefined) return undefined;
    return {
      connectedAt: new Date(live.facts.connectedAt).toISOString(),
      identity: { sourceIp: live.facts.sourceIp, userAgent: live.facts.userAgent },
      lastActiveAt: new Date(live.lastActiveAt).toISOString(),
    };
  }

  /** `DELETE @connections/{id}`: closes the socket; `$disconnect` follows. False when gone. */
  delete(connectionId: string): boolean {
    const live = this.#live.get(connectionId);
    if (live === undefined) return false;
    this.#closeLive(live, 1000, 'Connection closed by the gateway', 'deleted');
    return true;
  }

  /**
   * Resolves when every task in flight or queued (upgrades, routes, `$disconnect`) has finished and
   * every frame posted to `@connections` has been written to its socket.
   */
  async settle(): Promise<void> {
    while (this.#pending.size > 0 || this.#writing > 0) {
      if (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
      else await new Promise<void>((resolve) => this.#writeWaiters.push(resolve));
    }
  }

  /**
   * Closes every socket with 1001 and waits, bounded by `timeoutMs`, until each has closed (a
   * client that does not answer the close frame is cut after 2 s) and its `$disconnect` has run,
   * with whatever those runs announce: the backends can be closed after this. Messages still
   * queued for a slot are dropped (their handlers never run); invocations already running finish.
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closing = true;
    // Paused sockets would not read the clients' close frames.
    this.#setReading(true);
    for (const live of this.#live.values()) this.#closeLive(live, 1001, 'Going away', 'shutdown');
    // A socket's 'close' queues its $disconnect before these resolve: settle() then waits for it.
    const drained = Promise.all([...this.#open]).then(() => this.settle());
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([drained, bound]);
    clearTimeout(timer);
    for (const live of this.#live.values()) live.socket.terminate();
    this.#wss.close();
  }

  #written(): void {
    this.#writing -= 1;
    if (this.#writing === 0) for (const wake of this.#writeWaiters.splice(0)) wake();
  }

  #track<T>(work: Promise<T>): void {
    this.#pending.add(work);
    void work
      .catch((error: unknown) => {
        this.#options.logger.error({ err: describe(error) }, 'gateway task failed');
      })
      .finally(() => this.#pending.delete(work));
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (this.#closing) return refuse(socket, 503, 'Service Unavailable');
    const api = this.#options.api();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const facts = requestFactsOf(request);
    const connectionId = newConnectionId();
    const now = Date.now();
    const log = this.#options.logger;

    // API Gateway answers 401 itself when the identity source is missing, without the authorizer.
    if (!query.Authorization) return refuse(socket, 401, 'Unauthorized');
    const handlers = await this.#options.handlers();
    let policy: APIGatewayAuthorizerResult;
    try {
      policy = await this.#invocations.run(connectionId, () =>
        handlers.authorizer(authorizerEvent(api, facts, query, connectionId, now)),
      );
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') {
        log.info({ op: 'ws-connect', status: 401 }, 'connect refused by the authorizer');
        return refuse(socket, 401, 'Unauthorized');
      }
      // API Gateway would answer 500 here; a client must never see 500 for a connect.
      log.warn({ op: 'ws-connect', err: describe(error) }, 'authorizer failed');
      return refuse(socket, 503, 'Service Unavailable');
    }
    if (!allows(policy)) {
      log.info({ op: 'ws-connect', status: 403 }, 'connect denied by the authorizer');
      return refuse(socket, 403, 'Forbidden');
    }
    const connection: ConnectionFacts = {
      ...facts,
      connectionId,
      connectedAt: now,
      authorizer: flattenContext(policy),
    };
    let result: RouteResult;
    try {
      result = await this.#invocations.run(connectionId, () =>
        handlers.connect(connectEvent(api, connection, query, now)),
      );
    } catch (error) {
      log.warn({ op: 'ws-connect', err: describe(error) }, 'connect handler failed');
      return refuse(socket, 502, 'Bad Gateway');
    }
    if (!isSuccess(result.statusCode)) {
      log.info({ op: 'ws-connect', status: result.statusCode }, 'connect refused by $connect');
      return refuse(socket, result.statusCode, 'Refused');
    }
    if (socket.destroyed || this.#closing) {
      // The client left (or we are shutting down) while $connect ran: API Gateway runs $disconnect.
      socket.destroy();
      await this.#disconnect(connection, 1006, 'Connection closed before the handshake completed');
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, connection));
  }

  #accept(socket: WebSocket, facts: ConnectionFacts): void {
    const live: LiveConnection = {
      facts,
      socket,
      lastActiveAt: facts.connectedAt,
      idleTimer: undefined,
      closedBy: undefined,
    };
    this.#live.set(facts.connectionId, live);
    if (this.#invocations.saturated) socket.pause();
    this.#armIdle(live);
    socket.on('message', (data, isBinary) => this.#onMessage(live, data, isBinary));
    socket.on('error', () => {
      // 'close' follows every error; it runs $disconnect.
    });
    socket.on('close', (code, reason) => {
      clearTimeout(live.idleTimer);
      if (this.#live.get(facts.connectionId) === live) this.#live.delete(facts.connectionId);
      const why =
        live.closedBy !== undefined
          ? `Connection closed by the gateway (${live.closedBy})`
          : reason.length > 0
            ? reason.toString('utf8')
            : code === 1005
              ? 'Client-side close frame status not set'
              : 'Client closed the connection';
      // After the connection's queued frames, as API Gateway's $disconnect comes last.
      this.#track(this.#disconnect(facts, code, why));
    });
    // After the handler above: by the time this resolves, the $disconnect is in #pending.
    const open = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    this.#open.add(open);
    void open.then(() => this.#open.delete(open));
  }

  #onMessage(live: LiveConnection, data: RawData, isBinary: boolean): void {
    live.lastActiveAt = Date.now();
    this.#armIdle(live);
    if (isBinary) {
      // The presence API speaks JSON text only; answer like the core's error frames do.
      this.#reply(live, {
        type: 'error',
        code: 'invalid_frame',
        message: 'binary frames are not supported: send JSON text',
      });
      return;
    }
    const body = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.concat(data as Buffer[]).toString('utf8');
    this.#track(this.#route(live, body));
  }

  async #route(live: LiveConnection, body: string): Promise<void> {
    const routeKey = selectRoute(body);
    const handlers = await this.#options.handlers();
    const method: keyof GatewayHandlers =
      routeKey === '$default' ? 'default' : ROUTES[routeKey as keyof typeof ROUTES];
    let requestId = '';
    try {
      const result = (await this.#invocations.run(live.facts.connectionId, async () => {
        // Shutting down: a message still waiting for a slot is dropped (its socket is closing and
        // its $disconnect, queued behind it, takes the user offline), so close() is not held by a
        // backlog and no handler runs after the backends close.
        if (this.#closing) return { statusCode: 410 } satisfies RouteResult;
        const event = messageEvent(this.#options.api(), live.facts, routeKey, body, Date.now());
        requestId = (event.requestContext as { requestId: string }).requestId;
        return handlers[method](event as never);
      })) as RouteResult;
      if (
        (this.#options.routeResponses ?? false) &&
        typeof result?.body === 'string' &&
        result.body
      ) {
        this.#sendRaw(live, result.body);
      }
    } catch (error) {
      this.#options.logger.warn(
        { op: 'ws-message', routeKey, err: describe(error) },
        'route failed',
      );
      // What API Gateway sends when the integration fails: a JSON object.
      this.#reply(live, {
        message: 'Internal server error',
        connectionId: live.facts.connectionId,
        requestId,
      });
    }
  }

  async #disconnect(facts: ConnectionFacts, code: number, reason: string): Promise<void> {
    const handlers = await this.#options.handlers();
    try {
      await this.#invocations.run(facts.connectionId, () =>
        handlers.disconnect(disconnectEvent(this.#options.api(), facts, code, reason, Date.now())),
      );
    } catch (error) {
      this.#options.logger.warn({ op: 'ws-disconnect', err: describe(error) }, 'disconnect failed');
    }
  }

  /** Stops or restarts reading every socket: the queue's backpressure on the clients. */
  #setReading(on: boolean): void {
    for (const live of this.#live.values()) {
      if (on) live.socket.resume();
      else live.socket.pause();
    }
  }

  #armIdle(live: LiveConnection): void {
    clearTimeout(live.idleTimer);
    live.idleTimer = setTimeout(
      () => this.#closeLive(live, 1001, 'Going away', 'idle timeout'),
      this.#idleMs,
    );
    live.idleTimer.unref();
  }

  #closeLive(live: LiveConnection, code: number, reason: string, by: string): void {
    if (live.closedBy !== undefined) return;
    live.closedBy = by;
    clearTimeout(live.idleTimer);
    // Gone for @connections at once, as with API Gateway; $disconnect runs on the close event.
    if (this.#live.get(live.facts.connectionId) === live)
      this.#live.delete(live.facts.connectionId);
    live.socket.close(code, reason);
    const kill = setTimeout(() => live.socket.terminate(), 2000);
    kill.unref();
    live.socket.once('close', () => clearTimeout(kill));
  }

  #reply(live: LiveConnection, frame: object): void {
    this.#sendRaw(live, JSON.stringify(frame));
  }

  #sendRaw(live: LiveConnection, text: string): void {
    if (live.socket.readyState === live.socket.OPEN) live.socket.send(text);
  }
}
