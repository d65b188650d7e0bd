import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { ActivityUnavailableError } from '@presence/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbActivityLog, type DynamoDbActivityLogOptions } from '../src/index.js';
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
} from './helpers.js';

const T0 = 1_700_000_000_000;
const USER = 'alice-private-id';
const PAGE = { url: 'https://clinic.example/appointments/42', title: 'My appointment' };

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Expects an ActivityUnavailableError that names no user data and keeps the SDK error as `cause`
 * (unless the adapter itself gave up: `sdkCause: false`).
 */
async function expectUnavailable(
  promise: Promise<unknown>,
  mentions?: string,
  sdkCause = true,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(ActivityUnavailableError.isInstance(error), String(error)).toBe(true);
  if (sdkCause) expect(error?.cause).toBeDefined();
  for (const secret of [USER, PAGE.url, PAGE.title]) expect(error?.message).not.toContain(secret);
  if (mentions !== undefined) expect(error?.message).toContain(mentions);
}

const skip = dynamoUnavailable();
describe.skipIf(skip !== undefined)(`DynamoDbActivityLog faults${skip ? ` (${skip})` : ''}`, () => {
  const raw = rawClient();
  let proxy: FaultProxy;
  let tableName: string;
  const opened: DynamoDbActivityLog[] = [];

  function makeLog(options: Partial<DynamoDbActivityLogOptions> = {}): DynamoDbActivityLog {
    const log = new DynamoDbActivityLog({
      tableName,
      clientConfig: clientConfig(proxy.endpoint),
      batchWriteBaseDelayMs: 1,
      ...options,
    });
    opened.push(log);
    return log;
  }

  async function seed(log: DynamoDbActivityLog, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await log.append({ userId: USER, at: T0 + i, type: 'online' });
  }

  beforeAll(async () => {
    proxy = await startFaultProxy(endpoint());
  });
  afterAll(async () => {
    await proxy.close();
    raw.destroy();
  });
  beforeEach(async () => {
    tableName = freshTableName('faults');
    await createTable(raw, tableName);
    proxy.rule = undefined;
    proxy.calls.length = 0;
  });
  afterEach(async () => {
    proxy.rule = undefined;
    await Promise.all(opened.splice(0).map((log) => log.close()));
    await deleteTable(raw, tableName);
  });

  it('a server that is down: append, list and erase throw ActivityUnavailableError', async () => {
    const log = makeLog({ clientConfig: clientConfig(`http://127.0.0.1:${await closedPort()}`) });
    await expectUnavailable(
      log.append({ userId: USER, at: T0, type: 'update-presence', page: PAGE }),
    );
    await expectUnavailable(log.list(USER));
    await expectUnavailable(log.erase(USER));
  });

  it('a throttled PutItem is a 503-class error and writes nothing', async () => {
    proxy.rule = (op) =>
      op === 'PutItem'
        ? { kind: 'error', status: 400, type: 'ProvisionedThroughputExceededException' }
        : undefined;
    const log = makeLog();
    await expectUnavailable(
      log.append({ userId: USER, at: T0, type: 'update-presence', page: PAGE }),
      'throttled',
    );
    expect(await itemsOf(raw, tableName, USER)).toEqual([]);
  });

  it('a 500 on Query is a 503-class error', async () => {
    proxy.rule = (op) =>
      op === 'Query' ? { kind: 'error', status: 500, type: 'InternalServerError' } : undefined;
    await expectUnavailable(makeLog().list(USER), 'InternalServerError');
  });

  it('a request that hangs times out into ActivityUnavailableError', async () => {
    proxy.rule = () => ({ kind: 'hang' });
    const log = makeLog({
      clientConfig: clientConfig(proxy.endpoint, {
        requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
      }),
    });
    await expectUnavailable(log.list(USER));
  });

  it("the SDK's retry of a PutItem whose response was lost does not duplicate the entry", async () => {
    let puts = 0;
    proxy.rule = (op) => (op === 'PutItem' && ++puts === 1 ? { kind: 'lose-response' } : undefined);
    const log = makeLog({ clientConfig: clientConfig(proxy.endpoint, { maxAttempts: 3 }) });
    const entry = await log.append({ userId: USER, at: T0, type: 'update-presence', page: PAGE });
    expect(proxy.calls.filter((op) => op === 'PutItem')).toHaveLength(2);
    expect((await itemsOf(raw, tableName, USER)).map((item) => item.entryId)).toEqual([entry.id]);
  });

  it('erase retries the deletes DynamoDB leaves unprocessed until every entry is gone', async () => {
    const log = makeLog();
    await seed(log, 30);
    let batches = 0;
    proxy.rule = (op, body) => {
      if (op !== 'BatchWriteItem' || ++batches > 2) return undefined;
      const requests = (body.RequestItems as Record<string, unknown[]>)[tableName] ?? [];
      return {
        kind: 'rewrite',
        request: { ...body, RequestItems: { [tableName]: requests.slice(0, 5) } },
        response: (real) => ({ ...real, UnprocessedItems: { [tableName]: requests.slice(5) } }),
      };
    };
    await log.erase(USER);
    expect(await itemsOf(raw, tableName, USER)).toEqual([]);
    expect(proxy.calls.filter((op) => op === 'BatchWriteItem').length).toBeGreaterThan(2);
  });

  it('deletes still unprocessed after batchWriteAttempts fail the erase; a later erase finishes it', async () => {
    const log = makeLog({ batchWriteAttempts: 3, eraseConcurrency: 1 });
    await seed(log, 40);
    proxy.rule = (op, body) => {
      if (op !== 'BatchWriteItem') return undefined;
      const requests = (body.RequestItems as Record<string, unknown[]>)[tableName] ?? [];
      return {
        kind: 'rewrite',
        request: { ...body, RequestItems: { [tableName]: requests.slice(0, 1) } },
        response: (real) => ({ ...real, UnprocessedItems: { [tableName]: requests.slice(1) } }),
      };
    };
    await expectUnavailable(log.erase(USER), 'unprocessed', false);
    expect(proxy.calls.filter((op) => op === 'BatchWriteItem')).toHaveLength(3);
    expect((await itemsOf(raw, tableName, USER)).length).toBe(40 - 3);
    proxy.rule = undefined;
    await log.erase(USER);
    expect(await itemsOf(raw, tableName, USER)).toEqual([]);
  });

  it('a BatchWriteItem that fails stops the erase with a 503-class error; calling again resumes', async () => {
    const log = makeLog({ eraseConcurrency: 1 });
    await seed(log, 60);
    let batches = 0;
    proxy.rule = (op) =>
      op === 'BatchWriteItem' && ++batches > 1
        ? { kind: 'error', status: 400, type: 'ThrottlingException' }
        : undefined;
    await expectUnavailable(log.erase(USER), 'throttled');
    expect(await itemsOf(raw, tableName, USER)).toHaveLength(60 - 25);
    proxy.rule = undefined;
    await log.erase(USER);
    expect(await itemsOf(raw, tableName, USER)).toEqual([]);
  });
});
