import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ActivityLogFactory } from '@presence/core/testing';
import { inject } from 'vitest';
import {
  ACTIVITY_TABLE,
  activityTableDefinition,
  DynamoDbActivityLog,
  type DynamoDbActivityLogOptions,
} from '../src/index.js';

/** True under CI, where a DynamoDB that cannot start fails the run instead of skipping. */
export const CI = process.env.CI === 'true';

/** Why the test DynamoDB (started by the global setup) cannot be used, or `undefined`. */
export function dynamoUnavailable(): string | undefined {
  const provided = inject('dynamodb');
  if (!('unavailable' in provided)) return undefined;
  if (CI) throw new Error(`${provided.unavailable} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! ${provided.unavailable}: SKIPPING these DynamoDB tests.\n`);
  return provided.unavailable;
}

/** The loopback endpoint of the test DynamoDB. */
export function endpoint(): string {
  const provided = inject('dynamodb');
  return 'endpoint' in provided ? provided.endpoint : 'http://127.0.0.1:1';
}

/** Client settings for a loopback DynamoDB: dummy credentials, one attempt unless told otherwise. */
export function clientConfig(
  url = endpoint(),
  extra: Partial<DynamoDBClientConfig> = {},
): DynamoDBClientConfig {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    ...extra,
  };
}

/** A document client straight to the test DynamoDB, to look at tables behind the adapter's back. */
export function rawClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()));
}

/** A table name no other test uses. */
export function freshTableName(label: string): string {
  return `presence-test-${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates an activity table and waits until it is ACTIVE: with `createTableMs: 0` dynalite still
 * flips the status on its next tick, and a table still CREATING cannot be deleted.
 */
export async function createTable(raw: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await raw.send(new CreateTableCommand(activityTableDefinition(tableName)));
  await waitUntilActive(raw, tableName);
}

/** Polls DescribeTable (bounded) until the table is ACTIVE. */
export async function waitUntilActive(
  raw: DynamoDBDocumentClient,
  tableName: string,
): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Deletes a table, ignoring one that is already gone. */
export async function deleteTable(raw: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await raw.send(new DeleteTableCommand({ TableName: tableName })).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  });
}

/** Every raw item of one user, oldest first, expired ones included. */
export async function itemsOf(
  raw: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#u = :u',
        ExpressionAttributeNames: { '#u': ACTIVITY_TABLE.partitionKey.name },
        ExpressionAttributeValues: { ':u': userId },
        ConsistentRead: true,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/**
 * A factory of logs for the conformance suite: a fresh table per log (created on the shared
 * dynalite, deleted after the test) and a log with its own client, closed after the test.
 */
export function logFactory(
  raw: DynamoDBDocumentClient,
  options: Partial<DynamoDbActivityLogOptions> = {},
): ActivityLogFactory {
  return async ({ clock, retentionMs }) => {
    const tableName = freshTableName('suite');
    await createTable(raw, tableName);
    const log = new DynamoDbActivityLog({
      tableName,
      clientConfig: clientConfig(),
      clock,
      retentionMs,
      ...options,
    });
    return {
      log,
      cleanup: async () => {
        await log.close();
        await deleteTable(raw, tableName);
      },
    };
  };
}
