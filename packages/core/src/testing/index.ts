export type {
  ActivityLogFactory,
  ActivityLogHandle,
  ActivityLogSetup,
} from './activity-log-handle.js';
export type { ActivityLogSuiteOptions } from './activity-log-suite.js';
export { describeActivityLog } from './activity-log-suite.js';
export { FakeClock } from './fake-clock.js';
export type { FriendCacheFactory, FriendCacheHandle } from './friend-cache-suite.js';
export { describeFriendCache } from './friend-cache-suite.js';
export type {
  FriendGraphFactory,
  FriendGraphHandle,
  FriendGraphSuiteOptions,
} from './friend-graph-suite.js';
export { describeFriendGraph } from './friend-graph-suite.js';
export { describePresenceStore } from './presence-store-suite.js';
export type { PresenceStoreFactory, PresenceStoreHandle } from './store-handle.js';
export type { PresenceStoreSuiteOptions } from './suite-fixtures.js';
