import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ActivityUnavailableError } from '@presence/core';

/** BatchWriteItem's own limit on requests per call. */
export const BATCH_WRITE_MAX = 25;

/** How {@link deleteKeys} runs its BatchWriteItem calls. */
export interface BatchDeleteSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** BatchWriteItem calls in flight at once. */
  readonly concurrency: number;
  /** Calls per batch, the first included, while DynamoDB leaves items unprocessed. */
  readonly attempts: number;
  /** First back-off delay; doubled per attempt (full jitter), capped at 1 s. */
  readonly baseDelayMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deletes one batch of at most 25 keys, retrying what DynamoDB leaves unprocessed (throttling). */
async function deleteBatch(
  settings: BatchDeleteSettings,
  keys: readonly Record<string, unknown>[],
): Promise<void> {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 1; ; attempt++) {
    const result = await settings.client.send(
      new BatchWriteCommand({ RequestItems: { [settings.tableName]: requests } }),
    );
    const left = result.UnprocessedItems?.[settings.tableName] ?? [];
    if (left.length === 0) return;
    if (attempt >= settings.attempts) {
      throw new ActivityUnavailableError(
        `DynamoDB left ${left.length} deletes unprocessed after ${attempt} attempts (throttled)`,
      );
    }
    requests = left as typeof requests;
    const cap = Math.min(1_000, settings.baseDelayMs * 2 ** (attempt - 1));
    await sleep(Math.random() * cap);
  }
}

/**
 * Deletes the given keys in batches of 25 with bounded concurrency. Deleting a key that is already
 * gone succeeds, so a repeated or resumed erase is harmless. On the first failure no new batch
 * starts; batches in flight finish; the error is rethrown.
 */
export async function deleteKeys(
  settings: BatchDeleteSettings,
  keys: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_WRITE_MAX) {
    batches.push(keys.slice(i, i + BATCH_WRITE_MAX));
  }
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < batches.length) {
      const batch = batches[next++] as Record<string, unknown>[];
      try {
        await deleteBatch(settings, batch);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, batches.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
