import type { ActivityLog } from '@presence/core';
import { DynamoDbActivityLog } from '@presence/dynamodb';
import type { PresenceConfig } from '../config/index.js';
import type { BuildDependencies } from './runtime.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The activity history of a function (issue 14): a DynamoDB table when `ACTIVITY_TABLE_NAME` is
 * set, none otherwise. Nothing connects here; the client is built on the first append or read, in
 * the function's region, with the adapter's bounds (3 attempts, 1 s connect, 3 s per request), so
 * a DynamoDB outage is an `ActivityUnavailableError` (a 503 on `/activity`, a `warn` line and an
 * operation that goes on everywhere else).
 */
export function dynamoActivityLog(
  config: Pick<PresenceConfig, 'activity' | 'aws'>,
  deps: BuildDependencies,
): ActivityLog | undefined {
  const activity = config.activity;
  if (activity === undefined) return undefined;
  return new DynamoDbActivityLog({
    tableName: activity.tableName,
    retentionMs: activity.retentionDays * DAY_MS,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    clientConfig: config.aws.region === undefined ? {} : { region: config.aws.region },
  });
}
