/**
 * The handlers' edge: event parsing (WebSocket, REST v1 and HTTP API v2, authorizer, schedule),
 * error mapping, CORS, and the handler factories. It names the runtime it needs
 * (`PresenceRuntime`, `InvocationObserver`) and knows nothing of how it is built.
 *
 * May import: `@presence/core`, zod, `aws-lambda` types. Nothing from aws, compose, config or cdk.
 * @module
 */
export { type AuthorizerHandler, createAuthorizerHandler } from './authorizer.js';
export {
  type ParsedAuthorizerEvent,
  type ParsedRestEvent,
  type ParsedWebSocketEvent,
  parseAuthorizerEvent,
  parseRestEvent,
  parseWebSocketEvent,
  type RestEvent,
  type WebSocketEvent,
} from './events.js';
export {
  createGraphChangedHandler,
  FRIENDSHIP_CHANGED,
  GRAPH_CHANGE_DETAIL_TYPES,
  type GraphChange,
  type GraphChangedHandler,
  type GraphChangeEvent,
  type GraphChangeResult,
  InvalidGraphChangeError,
  parseGraphChangeEvent,
  SHARING_SETTINGS_CHANGED,
} from './graph-changed.js';
export { createHandlers, type PresenceHandlers } from './handlers.js';
export { corsHeaders, type ErrorBody, errorBodyOf, FORBIDDEN_BODY } from './http.js';
export {
  type ActivityEntryBody,
  type ActivityResponseBody,
  createDeleteActivityHandler,
  createGetActivityHandler,
  createGetPresenceHandler,
  createGetUserPresenceHandler,
  type RestHandler,
} from './rest.js';
export {
  type InvocationEvent,
  type InvocationObserver,
  type PresenceRuntime,
  type RestSettings,
  type RuntimeSource,
  resolver,
  serviceOf,
  type TokenVerifier,
  UNOBSERVED,
} from './runtime.js';
export { createTimeoutHandler, sweepSafetyMarginMs, type TimeoutHandler } from './timeout.js';
export {
  createConnectHandler,
  createDisconnectHandler,
  createFrameHandler,
  type WebSocketHandler,
} from './websocket.js';
