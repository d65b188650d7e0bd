import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The key schema and TTL attribute of the activity table, for whatever creates it (the CDK
 * construct, a test, a local set-up). `type: 'S'` is the DynamoDB attribute type, equal to CDK's
 * `AttributeType.STRING`.
 * @example
 * new dynamodb.TableV2(this, 'ActivityHistory', {
 *   partitionKey: { name: ACTIVITY_TABLE.partitionKey.name, type: AttributeType.STRING },
 *   sortKey: { name: ACTIVITY_TABLE.sortKey.name, type: AttributeType.STRING },
 *   timeToLiveAttribute: ACTIVITY_TABLE.timeToLiveAttribute,
 *   billing: Billing.onDemand(),
 * });
 */
export const ACTIVITY_TABLE = Object.freeze({
  /** One partition per user: a user's history is one Query, and erasing it touches one partition. */
  partitionKey: Object.freeze({ name: 'userId', type: 'S' } as const),
  /** The entry id: `<at, 16 digits>-<16 hex>`, so the sort order is time order and ties never collide. */
  sortKey: Object.freeze({ name: 'entryId', type: 'S' } as const),
  /** Epoch **seconds** after which DynamoDB may delete the entry: `ceil((at + retentionMs) / 1000)`. */
  timeToLiveAttribute: 'expiresAt',
} as const);

/** Every attribute an activity item has (`url`, `title`, `domain` on `update-presence` entries only). */
export const ACTIVITY_ATTRIBUTES = Object.freeze({
  userId: 'userId',
  entryId: 'entryId',
  /** Milliseconds since the epoch (N), the caller's time of the activity. */
  at: 'at',
  /** `update-presence`, `online` or `offline` (S). */
  type: 'type',
  url: 'url',
  title: 'title',
  domain: 'domain',
  expiresAt: 'expiresAt',
} as const);

/**
 * The IAM actions each use of the log needs on the table (and nothing else: no Scan, no GetItem, no
 * index). A construct grants `append` to the functions that record activity and `list` + `erase`
 * to the function behind `GET`/`DELETE /activity`.
 */
export const ACTIVITY_TABLE_ACTIONS = Object.freeze({
  append: Object.freeze(['dynamodb:PutItem'] as const),
  list: Object.freeze(['dynamodb:Query'] as const),
  erase: Object.freeze(['dynamodb:Query', 'dynamodb:BatchWriteItem'] as const),
});

/**
 * A `CreateTable` input for the activity table, on-demand (pay per request), for tests and local
 * set-ups. Turn on TTL on {@link ACTIVITY_TABLE}.timeToLiveAttribute afterwards (`UpdateTimeToLive`):
 * without it nothing is ever deleted, though `list` still hides expired entries. Production tables
 * (PITR, encryption, TTL) come from the CDK construct.
 */
export function activityTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = ACTIVITY_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      { AttributeName: sortKey.name, AttributeType: sortKey.type },
    ],
  };
}
