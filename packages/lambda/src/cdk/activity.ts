import { ACTIVITY_TABLE, ACTIVITY_TABLE_ACTIONS } from '@presence/dynamodb';
import {
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  type aws_lambda as lambda,
  RemovalPolicy,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PRESENCE_FUNCTION_NAMES, type PresenceFunctionName, usesGroup } from '../manifest.js';

/** Options of the activity history (`PresenceApiProps.activityHistory`). */
export interface PresenceActivityHistoryOptions {
  /**
   * Days an entry is listed and kept (`ACTIVITY_RETENTION_DAYS`): DynamoDB's TTL deletes it
   * afterwards (lazily, typically within days; `GET /activity` never lists it past the retention).
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * What happens to the table (users' histories) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The built activity history. */
export interface PresenceActivityBinding {
  readonly table: dynamodb.TableV2;
  readonly retentionDays: number;
}

/** The actions one function needs on the table, from `@presence/dynamodb`'s own list. */
export function activityActionsOf(name: PresenceFunctionName): readonly string[] {
  if (!usesGroup(name, 'activity')) return [];
  if (name === 'get-activity') return ACTIVITY_TABLE_ACTIONS.list;
  if (name === 'delete-activity') return ACTIVITY_TABLE_ACTIONS.erase;
  return ACTIVITY_TABLE_ACTIONS.append;
}

/**
 * The activity history's table: on-demand, keyed and with the TTL attribute as `@presence/dynamodb`
 * lays it out, point-in-time recovery, encrypted at rest with an AWS managed key, deletion
 * protection unless the removal policy destroys it.
 */
export function createActivityTable(
  scope: Construct,
  options: PresenceActivityHistoryOptions,
): PresenceActivityBinding {
  const removalPolicy = options.removalPolicy ?? RemovalPolicy.RETAIN;
  const table = new dynamodb.TableV2(scope, 'ActivityHistory', {
    partitionKey: {
      name: ACTIVITY_TABLE.partitionKey.name,
      type: dynamodb.AttributeType.STRING,
    },
    sortKey: { name: ACTIVITY_TABLE.sortKey.name, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: ACTIVITY_TABLE.timeToLiveAttribute,
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
    deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    removalPolicy,
  });
  return { table, retentionDays: options.retentionDays ?? 30 };
}

/**
 * Least privilege on the table, per function: PutItem to the functions that record activity, Query
 * to `get-activity`, Query and BatchWriteItem to `delete-activity`; on the table itself (it has no
 * index), nothing to anyone else.
 */
export function grantActivity(
  table: dynamodb.ITableV2,
  functions: Readonly<Record<PresenceFunctionName, lambda.IFunction>>,
): void {
  for (const name of PRESENCE_FUNCTION_NAMES) {
    const actions = activityActionsOf(name);
    if (actions.length === 0) continue;
    functions[name].addToRolePolicy(
      new iam.PolicyStatement({ actions: [...actions], resources: [table.tableArn] }),
    );
  }
}
