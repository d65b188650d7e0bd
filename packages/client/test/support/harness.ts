import { vi } from 'vitest';
import {
  createPresenceClient,
  type FetchLike,
  type FriendPresence,
  type PresenceClient,
  type PresenceClientError,
  type PresenceClientOptions,
  type WebSocketLike,
} from '../../src/index.js';

/** A WebSocket the test drives: it opens, refuses, drops and receives only when told. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  constructor(readonly url: string) {}

  /** The token the client put in `?Authorization=`. */
  get token(): string | null {
    return new URL(this.url).searchParams.get('Authorization');
  }

  /** Parsed frames the client sent. */
  get frames(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  close(code?: number): void {
    if (this.readyState >= 2) return;
    this.closedWith = code;
    this.readyState = 2;
    // As browsers do: the close event comes later, not inside close().
    queueMicrotask(() => this.#closed(code ?? 1005));
  }

  /** The server accepts the handshake. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The handshake fails (any HTTP status: the client cannot see which). */
  refuse(): void {
    this.onerror?.({});
    this.#closed(1006);
  }

  /** The connection ends without the client asking (server restart, network, gateway limit). */
  drop(code = 1006): void {
    this.#closed(code);
  }

  /** The server sends a frame (an object is JSON-encoded, a string goes as is). */
  receive(frame: object | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  #closed(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

/** What `GET /presence` answers in a test: a status and a body, or a thrown network error. */
export type RestAnswer = { status: number; body?: unknown } | 'network-error';

/** A friend's presence as `GET /presence` lists it. */
export function wirePresence(
  userId: string,
  page: { url: string; title: string; domain: string } | null,
) {
  return { userId, page, latestPage: page === null ? null : page };
}

/** A `GET /presence` body: the caller `alice` plus friends. */
export function presenceBody(
  friends: (ReturnType<typeof wirePresence> & { lastSeenAt?: string })[],
  self = wirePresence('alice', null),
) {
  const ids = [self.userId, ...friends.map((f) => f.userId)];
  return {
    userPresence: self,
    presenceArr: friends,
    userInfoMap: Object.fromEntries(
      ids.map((id) => [
        id,
        {
          user_id: id,
          first_name: id.toUpperCase(),
          last_name: 'Test',
          profile_image_extension: null,
        },
      ]),
    ),
  };
}

/** An `update-presence` frame as the server sends it. */
export function updateFrame(userId: string, url: string, title: string, domain: string) {
  return {
    type: 'update-presence',
    userId,
    url,
    title,
    domain,
    latestUrl: url,
    latestTitle: title,
    latestDomain: domain,
  };
}

/** A client wired to fake sockets, a scripted `GET /presence`, a counting token function and a log of events. */
export function harness(options: Partial<PresenceClientOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const restCalls: { url: string; token: string | undefined }[] = [];
  let answer: RestAnswer = { status: 200, body: presenceBody([]) };
  const answers: RestAnswer[] = [];
  let tokens = 0;
  const token = vi.fn((_context: { forceRefresh: boolean }) => `jwt-${++tokens}`);
  const fetch: FetchLike = async (url, init) => {
    restCalls.push({ url, token: init.headers.Authorization });
    const a = answers.shift() ?? answer;
    if (a === 'network-error') throw new TypeError('fetch failed');
    return { ok: a.status >= 200 && a.status < 300, status: a.status, json: async () => a.body };
  };
  const events: { type: string; value: unknown }[] = [];
  const errors: PresenceClientError[] = [];
  const client: PresenceClient = createPresenceClient({
    url: 'wss://ws.example.test/prod',
    restUrl: 'https://api.example.test/prod/',
    token,
    fetch,
    WebSocket: class extends FakeSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    },
    ...options,
  });
  for (const type of ['update', 'offline', 'self', 'status'] as const) {
    client.on(type, (value: unknown) => {
      events.push({ type, value });
    });
  }
  client.on('error', (error) => {
    errors.push(error);
  });
  return {
    client,
    sockets,
    restCalls,
    token,
    events,
    errors,
    /** The socket the client created last. */
    get last(): FakeSocket {
      const s = sockets.at(-1);
      if (s === undefined) throw new Error('no socket yet');
      return s;
    },
    /** `GET /presence` answers this from now on. */
    answer(next: RestAnswer) {
      answer = next;
    },
    /** The next `GET /presence` calls answer these, in order, before the standing answer. */
    answerOnce(...next: RestAnswer[]) {
      answers.push(...next);
    },
    /** Events of one type, in order. */
    of(type: string): unknown[] {
      return events.filter((e) => e.type === type).map((e) => e.value);
    },
    /** The friends map as `{ userId: page title | 'hidden' | 'offline' }`. */
    view(): Record<string, string> {
      return Object.fromEntries(
        [...client.friends.values()].map((f: FriendPresence) => [
          f.userId,
          f.page === null ? 'offline' : f.page.url === '' ? 'hidden' : f.page.title,
        ]),
      );
    },
  };
}

/** Lets the client's promises (token, fetch) settle without moving the clock. */
export const flush = () => vi.advanceTimersByTimeAsync(0);
