import type { AuthorizerHandler } from './authorizer.js';
import { createAuthorizerHandler } from './authorizer.js';
import { createGraphChangedHandler, type GraphChangedHandler } from './graph-changed.js';
import {
  createDeleteActivityHandler,
  createGetActivityHandler,
  createGetPresenceHandler,
  createGetUserPresenceHandler,
  type RestHandler,
} from './rest.js';
import { type RuntimeSource, resolver } from './runtime.js';
import { createTimeoutHandler, type TimeoutHandler } from './timeout.js';
import {
  createConnectHandler,
  createDisconnectHandler,
  createFrameHandler,
  type WebSocketHandler,
} from './websocket.js';

/** The twelve Lambda entry points: the `$connect` authorizer and the eleven presence handlers. */
export interface PresenceHandlers {
  /** WebSocket `$connect` REQUEST authorizer: `?Authorization=<jwt>` → Allow with context `{ userId }`; a bad or missing token throws `Unauthorized` (API Gateway answers 401). */
  readonly authorizer: AuthorizerHandler;
  /** `$connect`: registers the connection for `requestContext.authorizer.userId`; 401 without it. Never posts to the connection. */
  readonly connect: WebSocketHandler;
  /** `heartbeat` route: refreshes last-seen; a rejected frame is answered with a JSON error frame. */
  readonly heartbeat: WebSocketHandler;
  /** `update-presence` route: stores and broadcasts the page; a rejected frame is answered with a JSON error frame. */
  readonly updatePresence: WebSocketHandler;
  /** `$disconnect`: removes the connection; the user's last one tells online friends. */
  readonly disconnect: WebSocketHandler;
  /** `$default`: unknown action or malformed JSON → a JSON error frame to the client. */
  readonly default: WebSocketHandler;
  /** EventBridge schedule: sweeps in batches until the invocation's remaining time minus a safety margin. */
  readonly timeout: TimeoutHandler;
  /** `GET /presence`: the caller's and friends' presence (PROTOCOL.md body). */
  readonly getPresence: RestHandler;
  /** `GET /presence/{userId}`: `{url,title}`, an empty body when offline, 403 for a stranger. */
  readonly getUserPresence: RestHandler;
  /** EventBridge (the user service): a friendship or a user's sharing settings changed; forgets the friend cache's entries and tells the connections concerned. */
  readonly graphChanged: GraphChangedHandler;
  /** `GET /activity?cursor=&limit=`: a page of the caller's own history, `{ entries, nextCursor }`. */
  readonly getActivity: RestHandler;
  /** `DELETE /activity`: erases the caller's own history; 204. */
  readonly deleteActivity: RestHandler;
}

/**
 * The twelve handlers over one runtime (a process hosting them all: `@presence/local`, tests, your
 * own entry point). Each is one expression over the service; the edge holds event parsing, the
 * caller's identity, error mapping, CORS, and one log line per call. A deployed function imports
 * only its own handler factory (`src/functions/<name>.ts`).
 * @example export const handler = createHandlers(runtime).getPresence;
 */
export function createHandlers(source: RuntimeSource): PresenceHandlers {
  // One build shared by the twelve, however many are called.
  const shared = typeof source === 'function' ? resolver(source) : source;
  return {
    authorizer: createAuthorizerHandler(shared),
    connect: createConnectHandler(shared),
    heartbeat: createFrameHandler(shared, 'heartbeat'),
    updatePresence: createFrameHandler(shared, 'update-presence'),
    default: createFrameHandler(shared, 'default'),
    disconnect: createDisconnectHandler(shared),
    timeout: createTimeoutHandler(shared),
    getPresence: createGetPresenceHandler(shared),
    getUserPresence: createGetUserPresenceHandler(shared),
    graphChanged: createGraphChangedHandler(shared),
    getActivity: createGetActivityHandler(shared),
    deleteActivity: createDeleteActivityHandler(shared),
  };
}
