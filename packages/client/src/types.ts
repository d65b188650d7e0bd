import type { PresenceClientError } from './errors.js';

/** A page as the server describes it: `domain` is the registrable domain the server computed. */
export interface Page {
  /** The page's URL; `""` means online with activity hidden. */
  readonly url: string;
  /** The page's title. */
  readonly title: string;
  /** Registrable domain of `url` (`github.com`), `""` when hidden or when there is none. */
  readonly domain: string;
}

/** What {@link PresenceClient.setPage} takes: the page the user is on now. */
export interface PageInput {
  /** The page's URL; `""` shares nothing (online, activity hidden). */
  readonly url: string;
  /** The page's title (`""` when hidden). */
  readonly title: string;
}

/** A user's profile, from `GET /presence`. */
export interface Profile {
  readonly firstName: string;
  readonly lastName: string;
  /** File extension of the profile image (`png`), `null` when there is none. */
  readonly imageExtension: string | null;
}

/** One user's presence: a friend's, or the signed-in user's own as friends see it. */
export interface FriendPresence {
  readonly userId: string;
  /** The current page; `null` means offline; `url: ""` means online with activity hidden. */
  readonly page: Page | null;
  /** The last shared page (all `""` if none yet); `null` when offline. */
  readonly latestPage: Page | null;
  /** When the user was last active (ISO 8601), for offline users, if the server tells it. */
  readonly lastSeenAt?: string;
  /** Names and image, when `GET /presence` listed them (frames carry none). */
  readonly profile?: Profile;
}

/** Where the connection is: `connecting` (first attempt), `open`, `reconnecting`, `closed` (for good). */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A JSON object the server sent over the WebSocket, known type or not. */
export type ServerMessage = { readonly type?: unknown } & Readonly<Record<string, unknown>>;

/** The events of a {@link PresenceClient} and their listeners. */
export interface PresenceClientEvents {
  /** A friend is online and their presence changed (new page, came online, first seen online). */
  update: (friend: FriendPresence) => void;
  /** A friend went offline, or left the friend list while online. */
  offline: (friend: FriendPresence) => void;
  /** The signed-in user's own presence as friends see it changed (the server's echo of `setPage`). */
  self: (self: FriendPresence) => void;
  /** `friends` was reconciled with `GET /presence` (after every (re)connect and `refresh()`). */
  sync: (friends: ReadonlyMap<string, FriendPresence>) => void;
  /** The connection status changed. */
  status: (status: ConnectionStatus) => void;
  /** Something failed; `unauthorized` and `forbidden` mean the client has stopped (status `closed`). */
  error: (error: PresenceClientError) => void;
  /** Every JSON object frame received, known type or not (for logging and forward compatibility). */
  frame: (message: ServerMessage) => void;
}

/** A running client: the friends' presence kept live, and the user's page sent. */
export interface PresenceClient {
  /** Friends' presence by user id, kept by frames and `GET /presence`; a live view, emptied by `close()`. */
  readonly friends: ReadonlyMap<string, FriendPresence>;
  /** The signed-in user's presence as friends see it, once `GET /presence` has answered. */
  readonly self: FriendPresence | undefined;
  /** The connection status now. */
  readonly status: ConnectionStatus;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof PresenceClientEvents>(type: K, listener: PresenceClientEvents[K]): () => void;
  /**
   * Sets the page the user is on, sent now if connected and on every reconnect; nothing is sent
   * when it equals the page already sent on this connection. `null` hides the activity.
   * @throws TypeError when `url` or `title` is not a string
   */
  setPage(page: PageInput | null): void;
  /** Reads `GET /presence` now and reconciles `friends`; rejects with a {@link PresenceClientError}. */
  refresh(): Promise<void>;
  /** Closes the socket (1000), clears every timer, empties `friends`; status `closed`. Idempotent. */
  close(): void;
}

/** What the token function is told. */
export interface TokenContext {
  /** True after the server refused the previous token: return a fresh one, not a cached one. */
  readonly forceRefresh: boolean;
}

/** The parts of a WebSocket the client uses: the browser's `WebSocket` and the `ws` package fit. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Sends one text frame. */
  send(data: string): void;
  /** Closes the socket, with an optional close code and reason. */
  close(code?: number, reason?: string): void;
  onopen: Listener<unknown>;
  onmessage: Listener<{ readonly data: unknown }>;
  onclose: Listener<unknown>;
  onerror: Listener<unknown>;
}

/** An event handler property; method syntax keeps it bivariant so DOM and `ws` sockets both fit. */
export type Listener<E> =
  | {
      /** Called with the socket's event. */
      bivariant(event: E): unknown;
    }['bivariant']
  | null;

/** A WebSocket constructor: `globalThis.WebSocket`, or `ws`'s default export in Node < 22. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The parts of `fetch` the client uses. */
export type FetchLike = (
  url: string,
  init: { readonly headers: Record<string, string> },
) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  /** The body, parsed as JSON. */
  json(): Promise<unknown>;
}>;

/** Options of {@link createPresenceClient}. */
export interface PresenceClientOptions {
  /** WebSocket API URL (`wss://abc.execute-api.eu-west-1.amazonaws.com/prod`); the token is appended as `?Authorization=`. */
  readonly url: string;
  /** REST API base URL; the client reads `${restUrl}/presence`. */
  readonly restUrl: string;
  /**
   * Returns the raw JWT (ID token). Called before every connection attempt and every REST call:
   * return a cached token while it is valid, a fresh one when `forceRefresh` is true.
   */
  readonly token: (context: TokenContext) => string | Promise<string>;
  /** WebSocket constructor. @default globalThis.WebSocket (Node 20 has none: pass `ws`) */
  readonly WebSocket?: WebSocketConstructor;
  /** `fetch` implementation. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /**
   * A `heartbeat` is sent after this long without any frame sent. Keep it well below the server's
   * presence timeout (180 s by default) and API Gateway's 10-minute idle timeout. @default 60000
   */
  readonly heartbeatMs?: number;
  /**
   * In an MV3 service worker, a frame every this many ms keeps Chrome from stopping the worker
   * (it stops after 30 s without events; WebSocket traffic counts). `0` turns it off.
   * @default 20000 in a service worker, else 0
   */
  readonly keepAliveMs?: number;
  /** Base of the exponential backoff: the n-th retry waits a random time in [0, min(max, base × 2ⁿ)). @default 1000 */
  readonly reconnectDelayMs?: number;
  /** Cap of the backoff. @default 30000 */
  readonly maxReconnectDelayMs?: number;
  /** A connection open for this long resets the backoff. @default 30000 */
  readonly stableAfterMs?: number;
  /** A connection this old is replaced by a new one (opened first), before API Gateway's 2-hour limit. @default 6600000 (110 min) */
  readonly maxConnectionMs?: number;
}
