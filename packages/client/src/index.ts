export { createPresenceClient } from './client.js';
export type { PresenceClientErrorCode, PresenceClientErrorOptions } from './errors.js';
export { PresenceClientError } from './errors.js';
export type {
  ConnectionStatus,
  FetchLike,
  FriendPresence,
  Listener,
  Page,
  PageInput,
  PresenceClient,
  PresenceClientEvents,
  PresenceClientOptions,
  Profile,
  ServerMessage,
  TokenContext,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
