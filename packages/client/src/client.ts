import { PresenceClientError } from './errors.js';
import type {
  ConnectionStatus,
  FetchLike,
  FriendPresence,
  PageInput,
  PresenceClient,
  PresenceClientEvents,
  PresenceClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
import { presenceOf, presenceOfFrame, samePresence, snapshotOf } from './wire.js';

type Events = PresenceClientEvents;
type Host = Record<string, unknown> & {
  WebSocket?: WebSocketConstructor;
  fetch?: FetchLike;
  ServiceWorkerGlobalScope?: abstract new () => unknown;
};

const HEARTBEAT = JSON.stringify({ action: 'heartbeat' });

function duration(
  name: string,
  value: number | undefined,
  fallback: number,
  min = 0,
  max = 1e10,
): number {
  const ms = value ?? fallback;
  if (!(ms >= min && ms < max))
    throw new RangeError(`${name} must be >= ${min} and < ${max} ms, got ${ms}`);
  return ms;
}

/**
 * Connects to the presence API and keeps the friends' presence live: reconnects with backoff and
 * jitter, asks a fresh token each time, re-sends the current page and re-reads `GET /presence`
 * after every reconnect, replaces the connection before API Gateway's 2-hour limit, sends
 * heartbeats, and stops on a refused token (after one forced refresh).
 * @throws TypeError for a URL that is not ws(s):// or http(s)://, a missing `token` function, or no WebSocket
 * @throws RangeError for a negative duration, or `heartbeatMs` of 10 minutes or more
 * @example
 * const client = createPresenceClient({
 *   url: 'wss://ws.example.com/prod',
 *   restUrl: 'https://api.example.com/prod',
 *   token: () => auth.idToken(),
 * });
 * client.on('update', (friend) => console.log(friend.userId, friend.page?.title));
 * client.setPage({ url: location.href, title: document.title });
 */
export function createPresenceClient(options: PresenceClientOptions): PresenceClient {
  const { url, token } = options;
  if (!/^wss?:\/\//i.test(url))
    throw new TypeError(`url must be a ws:// or wss:// URL, got "${url}"`);
  if (!/^https?:\/\//i.test(options.restUrl)) {
    throw new TypeError(`restUrl must be an http:// or https:// URL, got "${options.restUrl}"`);
  }
  if (typeof token !== 'function')
    throw new TypeError('token must be a function returning the raw JWT');
  const host = globalThis as unknown as Host;
  const maybeSocket = options.WebSocket ?? host.WebSocket;
  if (maybeSocket === undefined) {
    throw new TypeError(
      'no global WebSocket here: pass the `WebSocket` option (in Node < 22, `ws`)',
    );
  }
  const Socket: WebSocketConstructor = maybeSocket;
  const request: FetchLike = options.fetch ?? ((u, init) => (host.fetch as FetchLike)(u, init));
  const presenceUrl = `${options.restUrl.replace(/\/+$/, '')}/presence`;
  const worker = host.ServiceWorkerGlobalScope;
  const heartbeatMs = duration('heartbeatMs', options.heartbeatMs, 60_000, 1, 600_000);
  const keepAliveMs = duration(
    'keepAliveMs',
    options.keepAliveMs,
    typeof worker === 'function' && host instanceof worker ? 20_000 : 0,
  );
  const idleMs = keepAliveMs > 0 ? Math.min(heartbeatMs, keepAliveMs) : heartbeatMs;
  const baseMs = duration('reconnectDelayMs', options.reconnectDelayMs, 1000);
  const capMs = duration('maxReconnectDelayMs', options.maxReconnectDelayMs, 30_000);
  const stableMs = duration('stableAfterMs', options.stableAfterMs, 30_000);
  const maxAgeMs = duration('maxConnectionMs', options.maxConnectionMs, 6_600_000, 1);

  const listeners: Partial<Record<keyof Events, Set<(...args: never[]) => void>>> = {};
  const friends = new Map<string, FriendPresence>();
  /** Frames heard while a `GET /presence` is in flight, one map per request: they override it. */
  const hearing = new Set<Map<string, FriendPresence>>();
  let self: FriendPresence | undefined;
  let status: ConnectionStatus = 'connecting';
  let closed = false;
  let active: WebSocketLike | undefined; // the open socket
  let pending: WebSocketLike | undefined; // a socket whose handshake is under way
  let page: PageInput | undefined;
  let sentPage: string | undefined; // the update-presence frame sent on `active`
  let openedAt = 0;
  let attempt = 0; // reconnects since the last stable connection
  let syncAttempt = 0;
  let authRetried = false;
  let forceRefresh = false;
  let retryTimer: unknown;
  let idleTimer: unknown;
  let ageTimer: unknown;
  let syncTimer: unknown;

  function emit<K extends keyof Events>(type: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(listeners[type] ?? [])]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        // A throwing listener must not leave the client half-updated: report it on its own.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  function setStatus(next: ConnectionStatus): void {
    if (status !== next && !(closed && next !== 'closed')) {
      status = next;
      emit('status', next);
    }
  }

  const backoff = (n: number): number => Math.random() * Math.min(capMs, baseMs * 2 ** n);

  async function getToken(): Promise<string> {
    const context = { forceRefresh };
    forceRefresh = false;
    let jwt: unknown;
    try {
      jwt = await token(context);
    } catch (cause) {
      throw new PresenceClientError('token', `the token function failed: ${String(cause)}`, {
        cause,
      });
    }
    if (typeof jwt !== 'string' || jwt === '') {
      throw new PresenceClientError(
        'token',
        'the token function must return the raw JWT as a non-empty string',
      );
    }
    // The WebSocket API wants the raw JWT; a `Bearer ` prefix would be refused.
    return jwt.replace(/^Bearer\s+/i, '');
  }

  async function getPresence(): Promise<unknown> {
    const jwt = await getToken();
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await request(presenceUrl, { headers: { Authorization: jwt } });
    } catch (cause) {
      throw new PresenceClientError('network', 'GET /presence could not be reached', { cause });
    }
    const { status: code } = response;
    if (!response.ok) {
      throw new PresenceClientError(
        code === 401 ? 'unauthorized' : code === 403 ? 'forbidden' : 'server',
        `GET /presence answered HTTP ${code}`,
        { status: code },
      );
    }
    try {
      return await response.json();
    } catch (cause) {
      throw new PresenceClientError('server', 'GET /presence answered a body that is not JSON', {
        cause,
      });
    }
  }

  /** A refused token: ask a fresh one and try again, once; the second refusal stops the client. */
  function refused(error: PresenceClientError, again: () => void): void {
    if (authRetried) {
      emit('error', error);
      close();
    } else {
      authRetried = true;
      forceRefresh = true;
      again();
    }
  }

  const isRefusal = (error: unknown): error is PresenceClientError =>
    error instanceof PresenceClientError &&
    (error.code === 'unauthorized' || error.code === 'forbidden');

  function retry(): void {
    setStatus('reconnecting');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, backoff(attempt++));
  }

  async function connect(): Promise<void> {
    let jwt: string;
    let ws: WebSocketLike;
    try {
      jwt = await getToken();
      if (closed) return;
      ws = new Socket(
        `${url}${url.includes('?') ? '&' : '?'}Authorization=${encodeURIComponent(jwt)}`,
      );
    } catch (error) {
      if (closed) return;
      emit(
        'error',
        error instanceof PresenceClientError
          ? error
          : new PresenceClientError('network', 'the WebSocket could not be created', {
              cause: error,
            }),
      );
      // While an open socket is being replaced, it stays; its close reconnects.
      if (active === undefined) retry();
      return;
    }
    pending = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      if (closed) ws.close(1000);
      else onOpen(ws);
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (pending === ws) pending = undefined;
      if (closed) return;
      if (!opened) {
        // A refused upgrade: browsers hide its HTTP status, so ask GET /presence with the same token.
        if (active === undefined) void diagnose(jwt);
      } else if (ws === active) {
        active = undefined;
        clearTimeout(idleTimer);
        clearTimeout(ageTimer);
        clearTimeout(syncTimer);
        if (Date.now() - openedAt >= stableMs) attempt = 0;
        if (pending === undefined) retry();
      }
    };
  }

  async function diagnose(jwt: string): Promise<void> {
    setStatus('reconnecting');
    let code: number | undefined;
    try {
      code = (await request(presenceUrl, { headers: { Authorization: jwt } })).status;
    } catch {
      code = undefined; // unreachable: the network or the server is down, not the token
    }
    if (closed) return;
    if (code === 401 || code === 403) {
      const kind = code === 401 ? 'unauthorized' : 'forbidden';
      refused(
        new PresenceClientError(
          kind,
          `the WebSocket API refused the token (GET /presence answered HTTP ${code})`,
          {
            status: code,
          },
        ),
        connect,
      );
    } else {
      retry();
    }
  }

  function onOpen(ws: WebSocketLike): void {
    const previous = active;
    active = ws;
    pending = undefined;
    openedAt = Date.now();
    authRetried = false;
    // Make before break: the user stays online while the old connection is replaced.
    previous?.close(1000);
    clearTimeout(ageTimer);
    ageTimer = setTimeout(() => {
      if (pending === undefined) void connect();
    }, maxAgeMs);
    sentPage = undefined;
    setStatus('open');
    if (!sendPage()) idle();
    resync();
  }

  function idle(): void {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => send(HEARTBEAT), idleMs);
  }

  function send(frame: string): void {
    try {
      active?.send(frame);
    } catch {
      // The socket is closing: its close event reconnects.
    }
    idle();
  }

  function sendPage(): boolean {
    if (page === undefined || active === undefined) return false;
    const frame = JSON.stringify({ action: 'update-presence', url: page.url, title: page.title });
    if (frame === sentPage) return false;
    sentPage = frame;
    send(frame);
    return true;
  }

  function receive(data: unknown): void {
    if (closed || typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return;
    const message = frame as Record<string, unknown>;
    emit('frame', message);
    const { type } = message;
    const next = presenceOfFrame(message);
    if (next !== undefined) {
      for (const heard of hearing) heard.set(next.userId, next);
      put(next);
    } else if (type === 'error' || (type === undefined && typeof message.message === 'string')) {
      // Ours, or API Gateway's `{"message":"Internal server error"}` when a route failed.
      emit(
        'error',
        new PresenceClientError(
          'server',
          `the server refused a frame: ${String(message.message)}`,
          {
            ...(typeof message.code === 'string' ? { serverCode: message.code } : {}),
          },
        ),
      );
    }
  }

  /** Applies a frame's state; before the first snapshot, frames only wait in `hearing`. */
  function put(next: FriendPresence): void {
    if (self === undefined) return;
    if (next.userId === self.userId) {
      const merged = presenceOf(
        next.userId,
        next.page,
        next.latestPage,
        next.lastSeenAt,
        self.profile,
      );
      if (!samePresence(self, merged)) emit('self', (self = merged));
      return;
    }
    const previous = friends.get(next.userId);
    // A timeout for someone unknown changes nothing; an update from someone unknown is a new friend.
    if (previous === undefined && next.page === null) return;
    const merged = presenceOf(
      next.userId,
      next.page,
      next.latestPage,
      next.lastSeenAt,
      previous?.profile,
    );
    if (previous !== undefined && samePresence(previous, merged)) return;
    friends.set(merged.userId, merged);
    emit(merged.page === null ? 'offline' : 'update', merged);
  }

  async function refresh(): Promise<void> {
    const heard = new Map<string, FriendPresence>();
    hearing.add(heard);
    try {
      const snapshot = snapshotOf(await getPresence());
      if (closed) return;
      // Frames heard while the request was in flight are at least as new as the snapshot.
      const fresh = (p: FriendPresence): FriendPresence => {
        const h = heard.get(p.userId);
        return h === undefined
          ? p
          : presenceOf(p.userId, h.page, h.latestPage, h.lastSeenAt, p.profile);
      };
      const nextSelf = fresh(snapshot.self);
      const next = new Map(snapshot.friends.map((p) => [p.userId, fresh(p)]));
      const changed: FriendPresence[] = [];
      for (const [id, p] of next) {
        const previous = friends.get(id);
        if (previous === undefined ? p.page !== null : !samePresence(previous, p)) changed.push(p);
      }
      for (const [id, p] of friends) {
        if (!next.has(id) && p.page !== null)
          changed.push(presenceOf(id, null, null, undefined, p.profile));
      }
      friends.clear();
      for (const [id, p] of next) friends.set(id, p);
      const selfChanged = self === undefined || !samePresence(self, nextSelf);
      self = nextSelf;
      syncAttempt = 0;
      authRetried = false;
      if (selfChanged) emit('self', nextSelf);
      for (const p of changed) emit(p.page === null ? 'offline' : 'update', p);
      emit('sync', friends);
    } finally {
      hearing.delete(heard);
    }
  }

  function resync(): void {
    clearTimeout(syncTimer);
    refresh().catch((error: unknown) => {
      if (closed) return;
      if (isRefusal(error)) return refused(error, resync);
      emit('error', error as PresenceClientError);
      if (active !== undefined) syncTimer = setTimeout(resync, backoff(syncAttempt++));
    });
  }

  function close(): void {
    if (closed) return;
    closed = true;
    for (const timer of [retryTimer, idleTimer, ageTimer, syncTimer]) clearTimeout(timer);
    active?.close(1000);
    pending?.close(1000);
    active = pending = undefined;
    friends.clear();
    setStatus('closed');
  }

  void connect();

  return {
    friends,
    get self() {
      return self;
    },
    get status() {
      return status;
    },
    on(type, listener) {
      const set = (listeners[type] ??= new Set());
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    setPage(next) {
      const p = next ?? { url: '', title: '' };
      if (typeof p.url !== 'string' || typeof p.title !== 'string') {
        throw new TypeError('setPage needs { url: string, title: string } or null');
      }
      page = { url: p.url, title: p.title };
      sendPage();
    },
    refresh,
    close,
  };
}
