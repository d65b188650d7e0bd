import type { ActivityLog } from '@presence/core';
import type { PresenceConfig } from '../config/index.js';
import type { BuildDependencies } from './runtime.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The activity history of a function (issue 14): a DynamoDB table when `ACTIVITY_TABLE_NAME` is
 * set, none otherwise. Nothing connects here, and the adapter with its AWS SDK client is imported
 * on the first append or read (a chunk of its own in the function's bundle, like the tracer), so a
 * cold start does not parse it before it is needed. The client runs in the function's region with
 * the adapter's bounds (3 attempts, 1 s connect, 3 s per request): a DynamoDB outage is an
 * `ActivityUnavailableError` (a 503 on `/activity`; a `warn` line and an operation that goes on
 * everywhere else). Retention is measured with the service's clock.
 */
export function dynamoActivityLog(
  config: Pick<PresenceConfig, 'activity' | 'aws'>,
  deps: BuildDependencies,
): ActivityLog | undefined {
  const activity = config.activity;
  if (activity === undefined) return undefined;
  let built: Promise<ActivityLog> | undefined;
  const log = () => {
    built ??= import('@presence/dynamodb').then(
      ({ DynamoDbActivityLog }) =>
        new DynamoDbActivityLog({
          tableName: activity.tableName,
          retentionMs: activity.retentionDays * DAY_MS,
          clientConfig: config.aws.region === undefined ? {} : { region: config.aws.region },
          ...(deps.clock === undefined ? {} : { clock: deps.clock }),
        }),
    );
    // A failed import is retried on the next call.
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
  return {
    append: async (entry) => (await log()).append(entry),
    list: async (userId, options) => (await log()).list(userId, options),
    erase: async (userId) => (await log()).erase(userId),
    close: async () => {
      const pending = built;
      if (pending !== undefined) await (await pending).close?.();
    },
  };
}
