export type { ChangeTriggerOptions } from './change-triggers.js';
export { changeTriggersSql, DEFAULT_CHANGE_CHANNEL } from './change-triggers.js';
export type { IamAuthOptions, PoolOptions } from './create-pool.js';
export { createPool, POOL_DEFAULTS, poolConfigOf } from './create-pool.js';
export type { GraphChangeListener, GraphChangeListenerOptions } from './graph-change-listener.js';
export { changedUserIds, listenForGraphChanges } from './graph-change-listener.js';
export type {
  FriendshipColumns,
  ResolvedNames,
  ResolvedTable,
  TableNameOptions,
  UserColumns,
} from './names.js';
export { DEFAULT_TABLE_NAMES, quoteIdentifier, resolveNames } from './names.js';
export type { PostgresFriendGraphOptions } from './postgres-friend-graph.js';
export {
  assertGraphUserId,
  PostgresFriendGraph,
  sharingSettingsFromRow,
} from './postgres-friend-graph.js';
export type { Queryable } from './schema.js';
export { checkSchema, createSchema, dropSchema, seedFriendGraph } from './schema.js';
export type { FriendGraphQueries } from './sql.js';
export { buildQueries, schemaSql } from './sql.js';
export { describeDriverError, toGraphUnavailable } from './translate-error.js';
