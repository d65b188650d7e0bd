import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ActivityUnavailableError, ConfigError } from '@presence/core';
import { FakeClock } from '@presence/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACTIVITY_TABLE,
  DynamoDbActivityLog,
  type DynamoDbActivityLogOptions,
} from '../src/index.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  clientConfig,
  createTable,
  deleteTable,
  dynamoUnavailable,
  endpoint,
  freshTableName,
  itemsOf,
  rawClient,
  waitUntilActive,
} from './helpers.js';

const T0 = 1_700_000_000_001;
const DAY = 86_400_000;
const PAD = 'p'.repeat(350_000);

const skip = dynamoUnavailable();
describe.skipIf(skip !== undefined)(
  `DynamoDbActivityLog on dynalite${skip ? ` (${skip})` : ''}`,
  () => {
    const raw = rawClient();
    let proxy: FaultProxy;
    let tableName: string;
    let clock: FakeClock;
    const opened: DynamoDbActivityLog[] = [];

    /** A log on the test table, through the counting proxy. */
    function makeLog(options: Partial<DynamoDbActivityLogOptions> = {}): DynamoDbActivityLog {
      const log = new DynamoDbActivityLog({
        tableName,
        clientConfig: clientConfig(proxy.endpoint),
        clock,
        retentionMs: DAY,
        ...options,
      });
      opened.push(log);
      return log;
    }

    /** Writes a ~350 KB item behind the adapter's back: three of them pass DynamoDB's 1 MB page. */
    async function putPadded(userId: string, at: number, n: number): Promise<void> {
      const entryId = `${String(at).padStart(16, '0')}-00000000${n.toString(16).padStart(8, '0')}`;
      await raw.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            userId,
            entryId,
            at,
            type: 'online',
            expiresAt: Math.ceil((at + DAY) / 1000),
            pad: PAD,
          },
        }),
      );
    }

    beforeAll(async () => {
      proxy = await startFaultProxy(endpoint());
    });
    afterAll(async () => {
      await proxy.close();
      raw.destroy();
    });
    beforeEach(async () => {
      clock = new FakeClock(T0);
      tableName = freshTableName('adapter');
      await createTable(raw, tableName);
      proxy.calls.length = 0;
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close()));
      await deleteTable(raw, tableName);
    });

    it('writes the layout ACTIVITY_TABLE names, with the TTL in epoch seconds rounded up', async () => {
      const log = makeLog();
      const page = { url: 'https://www.bbc.co.uk/news', title: 'BBC' };
      const visit = await log.append({ userId: 'alice', at: T0, type: 'update-presence', page });
      const online = await log.append({ userId: 'alice', at: T0 + 5, type: 'online' });
      expect(await itemsOf(raw, tableName, 'alice')).toEqual([
        {
          userId: 'alice',
          entryId: visit.id,
          at: T0,
          type: 'update-presence',
          url: page.url,
          title: 'BBC',
          domain: 'bbc.co.uk',
          expiresAt: 1_700_086_401, // (1_700_000_000_001 + 86_400_000) / 1000 = 1_700_086_400.001
        },
        {
          userId: 'alice',
          entryId: online.id,
          at: T0 + 5,
          type: 'online',
          expiresAt: 1_700_086_401,
        },
      ]);
      // Deployed tables are created from these constants: renaming one strands every existing table.
      const { partitionKey, sortKey, timeToLiveAttribute } = ACTIVITY_TABLE;
      expect([partitionKey, sortKey, timeToLiveAttribute]).toEqual([
        { name: 'userId', type: 'S' },
        { name: 'entryId', type: 'S' },
        'expiresAt',
      ]);
    });

    it("fills a page across DynamoDB's own 1 MB query pages, and pages on from there", async () => {
      for (let i = 0; i < 5; i++) await putPadded('alice', T0 + i, i);
      const log = makeLog();
      const all = await log.list('alice', { limit: 10 });
      expect([all.entries.map((e) => e.at), all.nextCursor]).toEqual([
        [T0 + 4, T0 + 3, T0 + 2, T0 + 1, T0],
        null,
      ]);
      expect(proxy.calls.filter((op) => op === 'Query').length).toBeGreaterThanOrEqual(2);
      const first = await log.list('alice', { limit: 3 });
      expect(first.entries.map((e) => e.at)).toEqual([T0 + 4, T0 + 3, T0 + 2]);
      const rest = await log.list('alice', { limit: 3, cursor: first.nextCursor as string });
      expect([rest.entries.map((e) => e.at), rest.nextCursor]).toEqual([[T0 + 1, T0], null]);
    });

    it('erases more than 25 entries and more than 1 MB, in batches of at most 25', async () => {
      const log = makeLog();
      for (let i = 0; i < 60; i++)
        await log.append({ userId: 'alice', at: T0 + i, type: 'online' });
      for (let i = 0; i < 4; i++) await putPadded('alice', T0 - 10 - i, i);
      await log.append({ userId: 'bob', at: T0, type: 'offline' });
      proxy.calls.length = 0;
      await log.erase('alice');
      expect(await itemsOf(raw, tableName, 'alice')).toEqual([]);
      expect(await itemsOf(raw, tableName, 'bob')).toHaveLength(1);
      expect(proxy.calls.filter((op) => op === 'BatchWriteItem').length).toBeGreaterThanOrEqual(3);
      expect(proxy.calls.filter((op) => op === 'Query').length).toBeGreaterThanOrEqual(2);
    });

    it('erase removes expired entries that the TTL has not deleted yet', async () => {
      const log = makeLog();
      await log.append({ userId: 'alice', at: T0, type: 'online' });
      clock.advance(2 * DAY);
      expect((await log.list('alice')).entries).toEqual([]);
      expect(await itemsOf(raw, tableName, 'alice')).toHaveLength(1);
      await log.erase('alice');
      expect(await itemsOf(raw, tableName, 'alice')).toEqual([]);
    });

    it('connects on first use only, and is unavailable after close()', async () => {
      const log = makeLog();
      expect(proxy.calls).toEqual([]);
      await log.list('alice');
      expect(proxy.calls).toEqual(['Query']);
      await log.close();
      await expect(log.append({ userId: 'alice', at: T0, type: 'online' })).rejects.toSatisfy(
        ActivityUnavailableError.isInstance,
      );
      await expect(log.list('alice')).rejects.toSatisfy(ActivityUnavailableError.isInstance);
    });

    it('uses a given plain DynamoDBClient and leaves it open on close()', async () => {
      const client = new DynamoDBClient(clientConfig());
      const log = new DynamoDbActivityLog({ tableName, client, clock, retentionMs: DAY });
      await log.append({ userId: 'alice', at: T0, type: 'online' });
      await log.close();
      const again = new DynamoDbActivityLog({ tableName, client, clock, retentionMs: DAY });
      expect((await again.list('alice')).entries).toHaveLength(1);
      client.destroy();
    });

    it('a table with another key schema is a ConfigError naming the expected one', async () => {
      const wrong = freshTableName('wrong');
      await raw.send(
        new CreateTableCommand({
          TableName: wrong,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      );
      await waitUntilActive(raw, wrong);
      try {
        const log = makeLog({ tableName: wrong });
        const error = await log.append({ userId: 'alice', at: T0, type: 'online' }).catch((e) => e);
        expect(ConfigError.isInstance(error)).toBe(true);
        expect(error.message).toContain('userId (S, HASH), entryId (S, RANGE)');
      } finally {
        await deleteTable(raw, wrong);
      }
    });

    it('a missing table is ActivityUnavailableError (503), not a crash', async () => {
      const log = makeLog({ tableName: 'presence-test-no-such-table' });
      const error = await log.list('alice').catch((e) => e);
      expect(ActivityUnavailableError.isInstance(error)).toBe(true);
      expect(error.message).toContain('table missing');
    });

    it.each([
      ['an empty table name', { tableName: '' }],
      ['a table name with a space', { tableName: 'a table' }],
      ['client and clientConfig', { client: new DynamoDBClient({}), clientConfig: {} }],
      ['retentionMs 0', { retentionMs: 0 }],
      ['retentionMs 1.5', { retentionMs: 1.5 }],
      ['eraseConcurrency 0', { eraseConcurrency: 0 }],
      ['batchWriteAttempts -1', { batchWriteAttempts: -1 }],
    ])('refuses %s with a ConfigError', (_what, options) => {
      expect(() => new DynamoDbActivityLog({ tableName: 'presence-activity', ...options })).toThrow(
        ConfigError,
      );
    });
  },
);
