export type { FriendCacheOptions } from './caching-friend-graph.js';
export { CachingFriendGraph, withFriendCache } from './caching-friend-graph.js';
export { systemClock } from './clock.js';
export { domainOfHostname, registrableDomain } from './domain.js';
export type { PresenceErrorCode, PresenceErrorOptions } from './errors.js';
export {
  ConfigError,
  ForbiddenError,
  GraphUnavailableError,
  HTTP_STATUS_BY_CODE,
  httpStatusOf,
  IdentityUnavailableError,
  InvalidFrameError,
  InvalidInputError,
  isUnavailable,
  NotFoundError,
  NotifierUnavailableError,
  PresenceError,
  StoreUnavailableError,
  UnauthorizedError,
} from './errors.js';
export type { FriendCache, FriendCacheLookup } from './friend-cache.js';
export {
  DEFAULT_INVALIDATION_WINDOW_MS,
  friendCacheEntry,
  friendCacheId,
  friendCacheIds,
  friendCacheTtl,
} from './friend-cache.js';
export type { PresenceLimits } from './limits.js';
export { assertConnectionId, assertUserId, DEFAULT_LIMITS } from './limits.js';
export type { MemoryFriendCacheOptions } from './memory/friend-cache.js';
export { MemoryFriendCache } from './memory/friend-cache.js';
export { MemoryFriendGraph } from './memory/friend-graph.js';
export type { SentFrame } from './memory/notifier.js';
export { MemoryNotifier } from './memory/notifier.js';
export type { MemoryPresenceStoreOptions } from './memory/presence-store.js';
export { DEFAULT_MEMORY_TTL_MS, MemoryPresenceStore } from './memory/presence-store.js';
export type {
  ConnectionRef,
  FriendGraphSeed,
  OnlineRecord,
  Page,
  PageView,
  SeedFriendship,
  SeedUser,
  ShareMode,
  SharingSettings,
  UserProfile,
} from './model.js';
export { HIDDEN_PAGE } from './model.js';
export type {
  Clock,
  ConnectionNotifier,
  FriendGraph,
  FriendsAndSettings,
  FriendsWithProfiles,
  Logger,
  NotifyReport,
  PresenceStore,
  RemovedConnection,
  SetPageResult,
  SweepBatch,
  TouchResult,
} from './ports.js';
export type {
  ClientFrame,
  ErrorFrame,
  GetPresenceResponse,
  HeartbeatFrame,
  Presence,
  PresenceTimeoutFrame,
  ServerFrame,
  UpdatePresenceFrame,
  UpdatePresenceServerFrame,
  UserInfo,
} from './schemas.js';
export {
  CLIENT_ACTIONS,
  clientFrameSchema,
  errorFrame,
  errorFrameSchema,
  getPresenceResponseSchema,
  heartbeatFrameSchema,
  pageViewSchema,
  parseClientFrame,
  presenceSchema,
  presenceTimeoutFrameSchema,
  serverFrameSchema,
  updatePresenceFrameSchema,
  updatePresenceServerFrameSchema,
  userInfoSchema,
  userPageResponseSchema,
} from './schemas.js';
export type {
  DisconnectResult,
  FrameOutcome,
  PresenceServiceOptions,
  SweepOptions,
  SweepReport,
  UpdatePresenceResult,
} from './service.js';
export { createPresenceService, PresenceService, view } from './service.js';
export { isShareable } from './sharing.js';
