import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Facts printed above the table so numbers from two machines are never compared blindly. */
export interface MachineFacts {
  readonly date: string;
  readonly gitCommit: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly loadAverage: string;
  readonly node: string;
  readonly os: string;
  readonly redis: string;
  readonly postgres: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** Collects machine facts; server versions are passed in (read over the benchmark's connections). */
export function machineFacts(redisVersion: string, postgresVersion: string): MachineFacts {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty =
    git(['status', '--porcelain', '--untracked-files=no']) !== ''
      ? ' (tree has uncommitted changes)'
      : '';
  return {
    date: new Date().toISOString(),
    gitCommit: `${commit}${dirty}`,
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadAverageNow(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    redis: redisVersion,
    postgres: postgresVersion,
  };
}

/** Renders the facts as a Markdown bullet list. */
export function renderFacts(facts: MachineFacts): string {
  return [
    `- date: ${facts.date}`,
    `- git commit: ${facts.gitCommit}`,
    `- CPU: ${facts.cores} × ${facts.cpuModel}; memory ${facts.memoryGiB} GiB; load average at start ${facts.loadAverage}`,
    `- Node ${facts.node} on ${facts.os}`,
    `- Redis ${facts.redis}; PostgreSQL ${facts.postgres}`,
  ].join('\n');
}

/** The 1, 5 and 15-minute load averages now, as `1.28 1.05 1.30`. */
export function loadAverageNow(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
