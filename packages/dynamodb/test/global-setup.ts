// Starts dynalite (a DynamoDB implementation on an in-memory LevelDB) on a free loopback port for
// the whole run and stops it afterwards. Each test file creates and deletes its own tables.
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The loopback endpoint of the test DynamoDB, or the reason it is unavailable. */
    dynamodb: { endpoint: string } | { unavailable: string };
  }
}

export default async function setup(project: TestProject) {
  let server: import('node:http').Server;
  try {
    const { default: dynalite } = await import('dynalite');
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    const reason = `dynalite could not start (${(error as Error).message}): the DynamoDB tests cannot run`;
    if (process.env.CI === 'true') throw new Error(reason);
    console.warn(`\n!!! ${reason}; skipping them.\n`);
    project.provide('dynamodb', { unavailable: reason });
    return;
  }
  const { port } = server.address() as AddressInfo;
  project.provide('dynamodb', { endpoint: `http://127.0.0.1:${port}` });
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
}
