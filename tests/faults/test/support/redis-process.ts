import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Ports this suite may use for its own redis-server (the suite's share of the throwaway range). */
const PORTS = { first: 7320, last: 7349 } as const;

async function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A throwaway `redis-server` on a loopback port of its own (no persistence: a restart is empty),
 * that the suite stalls (SIGSTOP / SIGCONT: the process keeps its sockets and data but answers
 * nothing), kills (SIGKILL) and starts again. Every wait is bounded.
 */
export class RedisProcess {
  #child: ChildProcess | undefined;
  #port = 0;

  get port(): number {
    return this.#port;
  }

  /** True when `redis-server` is installed. */
  static async installed(): Promise<boolean> {
    return run('redis-server', ['--version'], { timeout: 5_000 }).then(
      () => true,
      () => false,
    );
  }

  /** Starts on the first free port of the range, or on the same port as before (a restart). */
  async start(): Promise<void> {
    if (this.#port === 0) {
      for (let port = PORTS.first; port <= PORTS.last && this.#port === 0; port++) {
        if (await free(port)) this.#port = port;
      }
      if (this.#port === 0) throw new Error(`no free port in ${PORTS.first}-${PORTS.last}`);
    }
    const child = spawn(
      'redis-server',
      ['--port', String(this.#port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const pong = await run('redis-cli', ['-p', String(this.#port), 'ping'], {
        timeout: 2_000,
      }).then(
        ({ stdout }) => stdout.trim() === 'PONG',
        () => false,
      );
      if (pong) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server on ${this.#port} did not answer within 10 s`);
  }

  /** `kill -9`: the data is gone; {@link start} brings back an empty server on the same port. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the process in place: connections stay open, commands wait. */
  stall(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a stalled process run again: the commands it received meanwhile run now. */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }
}
