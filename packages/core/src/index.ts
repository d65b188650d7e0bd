export { registrableDomain, domainOfHostname } from './domain.js';
export {
  PresenceError,
  InvalidInputError,
  InvalidFrameError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  StoreUnavailableError,
  GraphUnavailableError,
  NotifierUnavailableError,
  ConfigError,
  HTTP_STATUS_BY_CODE,
  httpStatusOf,
  isUnavailable,
} from './errors.js';
export type { PresenceErrorCode, PresenceErrorOptions } from './errors.js';
export { DEFAULT_LIMITS, assertUserId, assertConnectionId } from './limits.js';
export type { PresenceLimits } from './limits.js';
export { HIDDEN_PAGE } from './model.js';
export type {
  Page,
  PageView,
  OnlineRecord,
  ConnectionRef,
  UserProfile,
  ShareMode,
  SharingSettings,
  SeedUser,
  SeedFriendship,
  FriendGraphSeed,
} from './model.js';
export type {
  Clock,
  PresenceStore,
  RemovedConnection,
  TouchResult,
  SetPageResult,
  SweepBatch,
  FriendGraph,
  ConnectionNotifier,
  NotifyReport,
  Logger,
} from './ports.js';
export {
  heartbeatFrameSchema,
  updatePresenceFrameSchema,
  clientFrameSchema,
  CLIENT_ACTIONS,
  updatePresenceServerFrameSchema,
  presenceTimeoutFrameSchema,
  errorFrameSchema,
  serverFrameSchema,
  pageViewSchema,
  presenceSchema,
  userInfoSchema,
  getPresenceResponseSchema,
  userPageResponseSchema,
  parseClientFrame,
  errorFrame,
} from './schemas.js';
export type {
  ClientFrame,
  HeartbeatFrame,
  UpdatePresenceFrame,
  UpdatePresenceServerFrame,
  PresenceTimeoutFrame,
  ErrorFrame,
  ServerFrame,
  Presence,
  UserInfo,
  GetPresenceResponse,
} from './schemas.js';
export { isShareable } from './sharing.js';
