// Starts a real three-master Redis Cluster on loopback ports 7101-7103 for the cluster tests and
// shuts it down afterwards. Leftovers of a crashed run on those ports are shut down first.
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
export const CLUSTER_PORTS = [7101, 7102, 7103] as const;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Loopback ports of the test cluster's masters, or the reason it is unavailable. */
    redisCluster: { ports: number[] } | { unavailable: string };
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

async function shutdown(port: number): Promise<void> {
  await cli(port, 'shutdown', 'nosave').catch(() => undefined);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const LOCK = join(tmpdir(), 'presence-redis-test-ports.lock');

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(LOCK, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the lock on the fixed test ports (7101-7103, 7199) so that two runs of this suite on one
 * machine wait for each other instead of killing each other's servers. A lock left by a dead
 * process is taken over.
 */
async function lockPorts(): Promise<() => void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(LOCK, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!holderAlive()) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test run holds ${LOCK}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export default async function setup(project: TestProject) {
  try {
    await run('redis-server', ['--version'], { timeout: 5_000 });
  } catch {
    const reason = 'redis-server is not installed: the Redis Cluster tests cannot run';
    if (process.env.CI === 'true') throw new Error(reason);
    console.warn(`\n!!! ${reason}; skipping them.\n`);
    project.provide('redisCluster', { unavailable: reason });
    return;
  }
  const unlock = await lockPorts();
  const dir = mkdtempSync(join(tmpdir(), 'presence-redis-cluster-'));
  const teardown = async () => {
    await Promise.all(CLUSTER_PORTS.map(shutdown));
    rmSync(dir, { recursive: true, force: true });
    unlock();
  };
  try {
    await Promise.all(CLUSTER_PORTS.map(shutdown));
    await waitFor('leftover cluster nodes to stop', async () => {
      const alive = await Promise.all(
        CLUSTER_PORTS.map((p) =>
          cli(p, 'ping').then(
            () => true,
            () => false,
          ),
        ),
      );
      return alive.every((up) => !up);
    });
    for (const port of CLUSTER_PORTS) {
      await run('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'yes',
        '--logfile',
        join(dir, `redis-${port}.log`),
      ]);
    }
    await waitFor('cluster nodes to answer', async () => {
      const pongs = await Promise.all(CLUSTER_PORTS.map((p) => cli(p, 'ping')));
      return pongs.every((pong) => pong.trim() === 'PONG');
    });
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await waitFor('cluster_state:ok on every node', async () => {
      const infos = await Promise.all(CLUSTER_PORTS.map((p) => cli(p, 'cluster', 'info')));
      return infos.every(
        (info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3'),
      );
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide('redisCluster', { ports: [...CLUSTER_PORTS] });

  return teardown;
}
