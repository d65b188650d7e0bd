import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { activityTableDefinition } from '@presence/dynamodb';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The loopback endpoint of the test DynamoDB (dynalite), or why it is unavailable. */
    dynamodb: { endpoint: string } | { unavailable: string };
  }
}

/** Why dynalite cannot be used (the tests skip; CI fails), or `undefined`. */
export function dynamoUnavailable(file: string): string | undefined {
  const provided = inject('dynamodb');
  if (!('unavailable' in provided)) return undefined;
  if (process.env.CI === 'true') throw new Error(`${file}: ${provided.unavailable}`);
  console.warn(`\n!!! ${file}: ${provided.unavailable}: SKIPPING.\n`);
  return provided.unavailable;
}

/** The loopback endpoint of dynalite. */
export function dynamoEndpoint(): string {
  const provided = inject('dynamodb');
  return 'endpoint' in provided ? provided.endpoint : 'http://127.0.0.1:1';
}

/**
 * Points every DynamoDB client the functions build at dynalite, the way a deployment would point
 * them elsewhere: the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`, no presence variable involved.
 */
export function useDynalite(): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint();
}

function client(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Creates a fresh activity table (laid out by @presence/dynamodb), ACTIVE; returns its name and a remover. */
export async function freshActivityTable(
  label: string,
): Promise<{ tableName: string; drop: () => Promise<void> }> {
  const tableName = `presence-lambda-${label}-${randomBytes(4).toString('hex')}`;
  const raw = client();
  await raw.send(new CreateTableCommand(activityTableDefinition(tableName)));
  for (let i = 0; ; i++) {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (i > 500) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return {
    tableName,
    drop: async () => {
      await raw.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      raw.destroy();
    },
  };
}
