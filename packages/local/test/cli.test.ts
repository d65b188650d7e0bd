import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, within } from './support/ws-client.js';

// The `presence-local` bin as users run it: the built dist/cli.js in a child process.

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const built = existsSync(CLI);
if (!built) {
  if (process.env.CI === 'true') throw new Error(`${CLI} is missing: build @presence/local first`);
  console.warn(`\n!!! SKIPPING the CLI tests: ${CLI} is missing (run the build first)\n`);
}

describe.skipIf(!built)('presence-local command', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'presence-local-cli-'));
    env = { ...process.env, PRESENCE_LOCAL_HOME: home, LOG_LEVEL: 'warn' };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('--help lists every option', () => {
    const run = spawnSync('node', [CLI, '--help'], { env, encoding: 'utf8' });
    expect(run.status).toBe(0);
    for (const option of [
      '--port',
      '--host',
      '--timeout-seconds',
      '--sweep-interval-seconds',
      '--redis-url',
      '--database-url',
      '--seed',
      '--cors-origin',
      '--key-file',
      '--log-level',
      '--max-connections-per-user',
      '--expires-in-seconds',
      '--delivery <inproc|http>',
      '--dev-endpoints',
      '--friend-cache-seconds',
      '--listen-graph-changes',
      '--graph-change-channel',
      '--no-activity',
      '--activity-retention-days',
      '--activity-table',
      'token <userId>',
    ]) {
      expect(run.stdout).toContain(option);
    }
  });

  it('refuses a non-loopback host and unknown options', () => {
    const host = spawnSync('node', [CLI, '--host', '0.0.0.0', '--port', '0'], {
      env,
      encoding: 'utf8',
    });
    expect(host.status).toBe(1);
    expect(host.stderr).toMatch(/loopback/);
    const unknown = spawnSync('node', [CLI, '--nope'], { env, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--help/);
    // Graph changes are read from PostgreSQL: no database, nothing to listen to.
    const listen = spawnSync('node', [CLI, '--listen-graph-changes', '--port', '0'], {
      env,
      encoding: 'utf8',
    });
    expect(listen.status).toBe(2);
    expect(listen.stderr).toMatch(/--listen-graph-changes needs --database-url/);
    const delivery = spawnSync('node', [CLI, '--delivery', 'carrier-pigeon'], {
      env,
      encoding: 'utf8',
    });
    expect(delivery.status).toBe(2);
    expect(delivery.stderr).toMatch(/--delivery must be inproc or http/);
  });

  it('starts with embedded defaults, accepts a token from `token`, and stops cleanly on SIGTERM', async () => {
    const server: ChildProcess = spawn(
      'node',
      [CLI, '--port', '0', '--sweep-interval-seconds', '0'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let output = '';
      const url = await within(
        new Promise<string>((resolve, reject) => {
          server.stdout?.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const match = /running on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
            if (match?.[1] !== undefined) resolve(match[1]);
          });
          server.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
        }),
        'the startup banner',
      );
      expect(output).toContain('in memory (MemoryPresenceStore)');
      expect(output).toContain('presence-local token');
      expect(output).toContain('handlers deliver in process');
      expect(output).toContain('Dev endpoints GET /dev/token/{userId}');
      expect(output).toMatch(/History +GET\/DELETE http:\S+\/activity {2}\(in memory\)/);
      const port = new URL(url).port;

      const token = spawnSync('node', [CLI, 'token', 'alice', '--port', port], {
        env,
        encoding: 'utf8',
      });
      expect(token.status).toBe(0);
      const jwt = token.stdout.trim();
      expect(jwt.split('.')).toHaveLength(3);
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString());
      expect(claims).toMatchObject({
        'cognito:username': 'alice',
        token_use: 'id',
        aud: 'presence-local',
        iss: url,
      });

      const client = await TestClient.open(url.replace('http:', 'ws:'), jwt, 'cli client');
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect((await within(client.closed, 'the socket to close on SIGTERM')).code).toBe(1001);
      expect(await within(exited, 'the server to exit')).toBe(0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });

  it('with --database-url, says the dev endpoints are off and how to turn them on', async () => {
    // The graph connects on first use: the server starts and answers without a database.
    const server: ChildProcess = spawn(
      'node',
      [
        CLI,
        '--port',
        '0',
        '--sweep-interval-seconds',
        '0',
        '--database-url',
        'postgres://presence@127.0.0.1:1/unused',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      const url = await within(
        new Promise<string>((resolve, reject) => {
          server.stdout?.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const match = /running on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
            if (match?.[1] !== undefined && output.includes('Ctrl-C')) resolve(match[1]);
          });
          server.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
        }),
        'the startup banner',
      );
      expect(output).toMatch(
        /Dev endpoints off \(a real database is configured\): --dev-endpoints turns them on/,
      );
      expect(output).not.toContain('/dev/token/');
      expect((await fetch(`${url}/dev/users`)).status).toBe(404);
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await within(exited, 'the server to exit')).toBe(0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});
