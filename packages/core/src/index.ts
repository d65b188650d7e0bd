export type { EraseActivityOptions, ListActivityOptions } from './activity.js';
export type {
  ActivityIdFactory,
  ActivityRecord,
  ParsedActivityListOptions,
} from './activity-input.js';
export {
  activityIdFloor,
  createActivityIdFactory,
  decodeActivityCursor,
  encodeActivityCursor,
  isActivityId,
  parseActivityAppend,
  parseActivityListOptions,
  toActivityEntry,
} from './activity-input.js';
export type {
  ActivityAppend,
  ActivityEntry,
  ActivityEntryBase,
  ActivityListOptions,
  ActivityLog,
  ActivityPage,
  ActivityType,
} from './activity-log.js';
export {
  ACTIVITY_TYPES,
  DEFAULT_ACTIVITY_PAGE_LIMIT,
  DEFAULT_ACTIVITY_RETENTION_MS,
  MAX_ACTIVITY_PAGE_LIMIT,
} from './activity-log.js';
export type { FriendCacheOptions } from './caching-friend-graph.js';
export { CachingFriendGraph, withFriendCache } from './caching-friend-graph.js';
export { systemClock } from './clock.js';
export { domainOfHostname, registrableDomain } from './domain.js';
export type { PresenceErrorCode, PresenceErrorOptions } from './errors.js';
export {
  ActivityUnavailableError,
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
  RateLimitedError,
  StoreUnavailableError,
  TooManyFriendsError,
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
export type { MemoryActivityLogOptions } from './memory/activity-log.js';
export { MemoryActivityLog } from './memory/activity-log.js';
export {
  assertPageOptions,
  assertWriteOptions,
  MAX_FRAME_FINGERPRINT_LENGTH,
} from './memory/durable-state.js';
export type { MemoryFriendCacheOptions } from './memory/friend-cache.js';
export { MemoryFriendCache } from './memory/friend-cache.js';
export { MemoryFriendGraph } from './memory/friend-graph.js';
export type { SentFrame } from './memory/notifier.js';
export { MemoryNotifier } from './memory/notifier.js';
export type { MemoryPresenceStoreOptions } from './memory/presence-store.js';
export {
  DEFAULT_LAST_SEEN_RETENTION_MS,
  DEFAULT_MEMORY_TTL_MS,
  DEFAULT_OUTBOX_LEASE_MS,
  DEFAULT_OUTBOX_TTL_MS,
  MemoryPresenceStore,
} from './memory/presence-store.js';
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
  DurablePresenceStore,
  FrameOptions,
  FriendGraph,
  FriendsAndSettings,
  FriendsWithProfiles,
  LastSeenSource,
  Logger,
  NotifyReport,
  OfflineOutbox,
  OutboxEntry,
  PageOptions,
  PartitionMark,
  PresenceStore,
  PresenceWithLastSeen,
  RateLimit,
  ReconcileProgress,
  RemovedConnection,
  RemoveOptions,
  SetPageResult,
  SweepBatch,
  SweepCallOptions,
  SweepMarkers,
  TouchResult,
  UpsertOptions,
} from './ports.js';
export { isLastSeenSource, isOfflineOutbox, isSweepMarkers } from './ports.js';
export { lastSeenAt, updateFrame, view, visibleLatest, visiblePage } from './presence-view.js';
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
  lastSeenAtSchema,
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
export { createPresenceService, PresenceService } from './service.js';
export type { PresenceServiceOptions } from './service-options.js';
export {
  DEFAULT_MAX_FRIENDS,
  DEFAULT_MAX_RESPONSE_BYTES,
  SIZE_CHECK_FRIENDS,
} from './service-options.js';
export type {
  ConnectResult,
  DisconnectResult,
  FrameOutcome,
  HeartbeatResult,
  SweepOptions,
  SweepReport,
  UpdatePresenceResult,
} from './service-results.js';
export { isShareable, sharingListDomain, sharingListDomains } from './sharing.js';
