import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { onCleanup } from './cleanup.js';

const run = promisify(execFile);

/**
 * Parses `redis-benchmark -q` output (`ZADD: 123456.79 requests per second, p50=0.063 msec`) into
 * requests/s and p50 (ms) per command. Pure, for tests.
 */
export function parseRedisBenchmark(output: string): Map<string, { rps: number; p50Ms?: number }> {
  const result = new Map<string, { rps: number; p50Ms?: number }>();
  // -q redraws progress with \r; the final figure of each test follows the last \r.
  for (const raw of output.split(/\r|\n/)) {
    const m = /^(.*?):\s*([\d.]+)\s+requests per second(?:,\s*p50=([\d.]+)\s*msec)?/.exec(raw);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const entry: { rps: number; p50Ms?: number } = { rps: Number(m[2]) };
    if (m[3] !== undefined) entry.p50Ms = Number(m[3]);
    result.set(m[1].trim(), entry);
  }
  return result;
}

/** Options of {@link redisBenchmark}. */
export interface RedisBenchmarkOptions {
  readonly port: number;
  readonly clients: number;
  readonly requests: number;
  /** A `-t` test name (`zadd`, `hset`, ...) or a raw command after `--`. */
  readonly test?: string;
  readonly command?: readonly string[];
}

/** Runs `redis-benchmark` against loopback and returns requests/s and p50 ms of the single test. */
export async function redisBenchmark(
  options: RedisBenchmarkOptions,
): Promise<{ rps: number; p50Ms?: number }> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-c',
    String(options.clients),
    '-n',
    String(options.requests),
    '-q',
  ];
  if (options.test !== undefined) args.push('-t', options.test);
  if (options.command !== undefined) args.push(...options.command);
  const { stdout } = await run('redis-benchmark', args, { timeout: 120_000, maxBuffer: 1 << 24 });
  const parsed = [...parseRedisBenchmark(stdout).values()];
  const first = parsed[0];
  if (first === undefined)
    throw new Error(`redis-benchmark printed no result: ${stdout.slice(-200)}`);
  return first;
}

async function freePortNear(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 50; port += 1) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free loopback port in ${preferred}..${preferred + 49}`);
}

/** A redis-server started by the bench on its own loopback port, stopped at clean-up. */
export interface DedicatedRedis {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts a dedicated `redis-server` on loopback (no persistence, no other clients), so INFO memory
 * deltas and the 1M-connection sweep neither see nor disturb the shared server on 6379.
 */
export async function startDedicatedRedis(preferredPort = 7300): Promise<DedicatedRedis> {
  const port = await freePortNear(preferredPort);
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  const unregister = onCleanup(`redis-server :${port}`, stop);
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Refused connections while the server starts are expected: the loop below retries them.
  probe.on('error', () => undefined);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (error) {
      if (exited || attempt > 50) {
        probe.disconnect();
        throw new Error(`redis-server on :${port} did not start: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    async stop() {
      unregister();
      await stop();
    },
  };
}

/** Deletes every key matching `pattern` with SCAN + UNLINK (never FLUSHALL on a shared server). */
export async function unlinkByPattern(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}

/** `used_memory` from INFO memory, bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (m?.[1] === undefined) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}
