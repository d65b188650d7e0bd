import { afterEach, describe, expect, it } from 'vitest';
import { type LocalPresence, startLocalPresence } from '../src/index.js';
import { TestClient, within } from './support/ws-client.js';

// The connection cap reaches presence-local's handlers from the environment the CLI passes
// (`--max-connections-per-user` sets PRESENCE_MAX_CONNECTIONS_PER_USER).
describe('presence-local connection cap', () => {
  let local: LocalPresence | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await local?.close();
    local = undefined;
  });

  it('closes the least recently seen socket of a user who opens one more than PRESENCE_MAX_CONNECTIONS_PER_USER', async () => {
    // Prepare
    local = await startLocalPresence({
      port: 0,
      sweepIntervalSeconds: 0,
      keyFile: false,
      env: { PRESENCE_MAX_CONNECTIONS_PER_USER: '2', LOG_LEVEL: 'warn' },
    });
    const open = async (name: string) => {
      const client = await TestClient.open(
        (local as LocalPresence).wsUrl,
        await (local as LocalPresence).issueToken('alice'),
        name,
      );
      clients.push(client);
      return client;
    };
    const first = await open('tab 1');
    const second = await open('tab 2');
    await local.settle();
    // Act
    const third = await open('tab 3');
    await local.settle();
    // Assess: the oldest tab is closed by the server; the two newest stay connected
    expect((await within(first.closed, 'tab 1 to be closed')).code).toBe(1000);
    await second.barrier();
    await third.barrier();
    expect(local.connections).toBe(2);
  });
});
