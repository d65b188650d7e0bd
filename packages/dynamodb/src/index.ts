export type { DynamoDbActivityLogOptions } from './dynamodb-activity-log.js';
export { DynamoDbActivityLog } from './dynamodb-activity-log.js';
export {
  ACTIVITY_ATTRIBUTES,
  ACTIVITY_TABLE,
  ACTIVITY_TABLE_ACTIONS,
  activityTableDefinition,
} from './table.js';
export { describeSdkError, toActivityError } from './translate-error.js';
