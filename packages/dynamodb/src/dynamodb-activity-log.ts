import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ActivityAppend,
  type ActivityEntry,
  type ActivityIdFactory,
  type ActivityListOptions,
  type ActivityLog,
  type ActivityPage,
  ActivityUnavailableError,
  activityIdFloor,
  assertUserId,
  type Clock,
  ConfigError,
  createActivityIdFactory,
  DEFAULT_ACTIVITY_RETENTION_MS,
  DEFAULT_LIMITS,
  encodeActivityCursor,
  type PresenceLimits,
  parseActivityAppend,
  parseActivityListOptions,
  systemClock,
  toActivityEntry,
} from '@presence/core';
import { type BatchDeleteSettings, deleteKeys } from './erase.js';
import { toEntry, toItem } from './items.js';
import { ACTIVITY_ATTRIBUTES as A } from './table.js';
import { toActivityError } from './translate-error.js';

/** Options of {@link DynamoDbActivityLog}. */
export interface DynamoDbActivityLogOptions {
  /** The table (name or ARN), laid out as `ACTIVITY_TABLE` says. */
  readonly tableName: string;
  /**
   * A client to use (a plain `DynamoDBClient` is wrapped in a document client). The log never
   * destroys a client it was given. Without it the log builds one on first use from `clientConfig`.
   */
  readonly client?: DynamoDBDocumentClient | DynamoDBClient;
  /**
   * Configuration of the client the log builds (region, endpoint, credentials), over the defaults:
   * 3 attempts, 1 s to connect, 3 s per request. Not allowed together with `client`.
   */
  readonly clientConfig?: DynamoDBClientConfig;
  /**
   * How long entries are listed (and kept: the TTL attribute) after their `at`, in milliseconds.
   * @default 2_592_000_000 (30 days)
   */
  readonly retentionMs?: number;
  /** The clock retention is measured with when listing. @default systemClock */
  readonly clock?: Clock;
  /** Maximum user id, URL and title lengths. @default DEFAULT_LIMITS */
  readonly limits?: PresenceLimits;
  /** BatchWriteItem calls in flight during `erase`. @default 4 */
  readonly eraseConcurrency?: number;
  /** Calls per batch of 25 deletes while DynamoDB leaves some unprocessed (throttling). @default 8 */
  readonly batchWriteAttempts?: number;
  /** First back-off delay between those calls, doubled each time (full jitter, at most 1 s). @default 25 */
  readonly batchWriteBaseDelayMs?: number;
}

const TABLE_NAME = /^(?:[A-Za-z0-9_.-]{3,255}|arn:[^\s]+:table\/[A-Za-z0-9_.-]{3,255})$/;

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return result;
}

function isDocumentClient(client: object): client is DynamoDBDocumentClient {
  return (
    client instanceof DynamoDBDocumentClient ||
    client.constructor?.name === 'DynamoDBDocumentClient'
  );
}

/** The client the log builds: bounded attempts and timeouts, so an outage fails fast with a 503. */
function buildClient(config: DynamoDBClientConfig): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: 1_000,
        requestTimeout: 3_000,
        throwOnRequestTimeout: true,
      },
      ...config,
    }),
  );
}

/**
 * {@link ActivityLog} on Amazon DynamoDB: one partition per user, one item per entry, sorted by the
 * entry id (time first), with a TTL attribute for the retention. Nothing connects at import or
 * construction; `close()` destroys only a client the log built.
 *
 * Costs: `append` is one PutItem (1 write unit per KB). `list` is one strongly consistent Query
 * (read-your-writes), more only when a 1 MB page comes first; expired entries the TTL has not yet
 * deleted are skipped by the key condition, so they are never read. `erase` is one Query per 1 MB of
 * the user's items (keys only returned, full items billed) and one BatchWriteItem per 25 entries.
 * @example
 * const log = new DynamoDbActivityLog({ tableName: 'presence-activity' });
 * await log.append({ userId: 'alice', at: Date.now(), type: 'online' });
 */
export class DynamoDbActivityLog implements ActivityLog {
  /** The table the log reads and writes. */
  readonly tableName: string;
  /** How long entries are kept, in milliseconds. */
  readonly retentionMs: number;
  readonly #clock: Clock;
  readonly #limits: PresenceLimits;
  readonly #nextId: ActivityIdFactory = createActivityIdFactory();
  readonly #ownsClient: boolean;
  readonly #clientConfig: DynamoDBClientConfig;
  readonly #erase: Omit<BatchDeleteSettings, 'client' | 'tableName'>;
  #client: DynamoDBDocumentClient | undefined;
  #closed = false;

  /** @throws ConfigError for a bad table name, retention or erase setting, or `client` with `clientConfig` */
  constructor(options: DynamoDbActivityLogOptions) {
    if (typeof options?.tableName !== 'string' || !TABLE_NAME.test(options.tableName)) {
      throw new ConfigError(
        'tableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) or ARN',
      );
    }
    if (options.client !== undefined && options.clientConfig !== undefined) {
      throw new ConfigError('give either client or clientConfig, not both');
    }
    this.tableName = options.tableName;
    this.retentionMs = positiveInteger(
      options.retentionMs,
      DEFAULT_ACTIVITY_RETENTION_MS,
      'retentionMs',
    );
    this.#clock = options.clock ?? systemClock;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#erase = {
      concurrency: positiveInteger(options.eraseConcurrency, 4, 'eraseConcurrency'),
      attempts: positiveInteger(options.batchWriteAttempts, 8, 'batchWriteAttempts'),
      baseDelayMs: positiveInteger(options.batchWriteBaseDelayMs, 25, 'batchWriteBaseDelayMs'),
    };
    this.#ownsClient = options.client === undefined;
    this.#clientConfig = options.clientConfig ?? {};
    if (options.client !== undefined) {
      this.#client = isDocumentClient(options.client)
        ? options.client
        : DynamoDBDocumentClient.from(options.client);
    }
  }

  /** The document client (built on first use when none was given). */
  get client(): DynamoDBDocumentClient {
    if (this.#closed) throw new ActivityUnavailableError('the DynamoDB activity log is closed');
    this.#client ??= buildClient(this.#clientConfig);
    return this.#client;
  }

  async append(input: ActivityAppend): Promise<ActivityEntry> {
    const record = parseActivityAppend(input, this.#limits);
    const id = this.#nextId(record.at);
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(id, record, this.retentionMs) }),
      );
    } catch (error) {
      throw toActivityError('append', error);
    }
    return toActivityEntry(id, record);
  }

  async list(userId: string, options?: ActivityListOptions): Promise<ActivityPage> {
    assertUserId(userId, 'userId', this.#limits);
    const { limit, beforeId } = parseActivityListOptions(options);
    const floor = activityIdFloor(this.#clock.now(), this.retentionMs);
    // DynamoDB refuses a start key outside the key condition; past the floor everything is expired.
    if (beforeId !== undefined && beforeId < floor) return { entries: [], nextCursor: null };
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined =
      beforeId === undefined ? undefined : { [A.userId]: userId, [A.entryId]: beforeId };
    try {
      // One more than asked tells whether an older entry exists; loop over 1 MB pages.
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#u = :u AND #e >= :floor',
            ExpressionAttributeNames: { '#u': A.userId, '#e': A.entryId },
            ExpressionAttributeValues: { ':u': userId, ':floor': floor },
            ScanIndexForward: false,
            ConsistentRead: true,
            Limit: limit + 1 - items.length,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && items.length <= limit);
    } catch (error) {
      throw toActivityError('list', error);
    }
    const entries = items.slice(0, limit).map(toEntry);
    const last = entries.at(-1);
    return {
      entries,
      nextCursor: items.length > limit && last !== undefined ? encodeActivityCursor(last.id) : null,
    };
  }

  /**
   * Deletes every item of the user, expired ones included: Query (keys only, strongly consistent)
   * page by page, BatchWriteItem deletes of 25 with bounded concurrency, unprocessed items retried
   * with back-off. Idempotent and resumable: after a failure, calling it again deletes what is left.
   */
  async erase(userId: string): Promise<void> {
    assertUserId(userId, 'userId', this.#limits);
    let startKey: Record<string, unknown> | undefined;
    try {
      const settings = { ...this.#erase, client: this.client, tableName: this.tableName };
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#u = :u',
            ProjectionExpression: '#u, #e',
            ExpressionAttributeNames: { '#u': A.userId, '#e': A.entryId },
            ExpressionAttributeValues: { ':u': userId },
            ConsistentRead: true,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        await deleteKeys(settings, page.Items ?? []);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    } catch (error) {
      throw toActivityError('erase', error);
    }
  }

  /** Destroys the client if the log built it; later calls throw `ActivityUnavailableError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) this.#client?.destroy();
    this.#client = undefined;
  }
}
