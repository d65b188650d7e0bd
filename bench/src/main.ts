import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { reason } from './adapters.js';
import { installSignalCleanup, onCleanup, runCleanup } from './cleanup.js';
import type { Dataset } from './dataset.js';
import { startGatewayStandIn } from './gateway-stand-in.js';
import { loadAverageNow, machineFacts, renderFacts } from './machine.js';
import {
  API_GATEWAY_LIKE_LATENCY_MS,
  type BenchOptions,
  parseOptions,
  runs,
  USAGE,
} from './options.js';
import { postgresVersion, seedPostgres } from './pg-seed.js';
import { measureBundles } from './phases/bundles.js';
import { measureClientBundle } from './phases/client-bundle.js';
import type { BenchContext } from './phases/context.js';
import { measureDetachScaling } from './phases/detach-scaling.js';
import { measureHandlers } from './phases/handlers.js';
import { measureLimits } from './phases/limits.js';
import { measureLocal } from './phases/local.js';
import { measureMemory } from './phases/memory.js';
import { measurePostgres } from './phases/postgres.js';
import { measureSweepScaling } from './phases/sweep-scaling.js';
import { measureWork } from './phases/work.js';
import { type DedicatedRedis, startDedicatedRedis, unlinkByPattern } from './redis-tools.js';
import { Report, renderTargets } from './report.js';
import { renderMarkdownTable } from './table.js';

const REDIS_PORT = Number(process.env.BENCH_REDIS_PORT ?? 6379);

// The AWS SDK warns that its releases after January 2027 will need Node 22; that is not news a
// benchmark table should carry. Every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

async function main(options: BenchOptions): Promise<number> {
  const started = Date.now();
  installSignalCleanup();
  // The handlers' AWS SDK client signs requests to the local @connections stand-in: it needs
  // some credentials, never real ones.
  process.env.AWS_ACCESS_KEY_ID = 'bench-local-stand-in';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench-local-stand-in';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const report = new Report();
  const redis = new Redis({ port: REDIS_PORT, host: '127.0.0.1', maxRetriesPerRequest: 2 });
  onCleanup('redis client', () => redis.disconnect());
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  onCleanup(`delete ${prefix}* keys`, async () => {
    await unlinkByPattern(redis, `${prefix}*`);
  });
  const redisInfo = await redis.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown';
  const facts = machineFacts(redisVersion, await postgresVersion());
  process.stderr.write(
    `pnpm bench${options.quick ? ' --quick' : ''}: ${facts.cores} cores, load ${facts.loadAverage}; key prefix ${prefix}\n`,
  );

  const dataset: Dataset = {
    users: options.users,
    friends: options.friends,
    hubSizes: options.hubSizes,
  };
  const gateway = await startGatewayStandIn(options.gatewayLatencyMs);
  const seeded = await seedPostgres(dataset);
  report.notes.push(
    `seed: ${dataset.users.toLocaleString('en-US')} users × ${dataset.friends} friends (${seeded.friendshipRows.toLocaleString('en-US')} friendship rows incl. pending and hub rows) in ${(seeded.seedMs / 1000).toFixed(1)} s`,
  );
  const ctx: BenchContext = {
    options,
    dataset,
    redis,
    redisPort: REDIS_PORT,
    prefix,
    schema: seeded.schema,
    gateway,
    report,
    results: new Map(),
  };

  let dedicated: DedicatedRedis | undefined;
  const withDedicated = async () => {
    dedicated ??= await startDedicatedRedis(7300);
    return dedicated;
  };
  const phase = async (section: string, name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`  ✗ ${name}: ${reason(error)}\n`);
      report.notMeasured(section, name, reason(error));
    }
  };

  if (runs(options, 'limit')) await phase('limit', 'physical limits', () => measureLimits(ctx));
  if (runs(options, 'postgres'))
    await phase('postgres', 'friend graph queries', () => measurePostgres(ctx));
  if (runs(options, 'work')) await phase('work', 'work per operation', () => measureWork(ctx));
  if (
    runs(options, 'handlers') ||
    runs(options, 'legacy') ||
    runs(options, 'sweep') ||
    runs(options, 'scaling')
  ) {
    await phase('handlers', 'operations through the Lambda handlers', () => measureHandlers(ctx));
  }
  if (runs(options, 'scaling')) {
    await phase('scaling', 'store sweep curve', async () =>
      measureSweepScaling(ctx, await withDedicated()),
    );
    await phase('scaling', 'detach curve', async () =>
      measureDetachScaling(ctx, await withDedicated()),
    );
  }
  if (runs(options, 'memory')) {
    await phase('memory', 'Redis memory per user', async () =>
      measureMemory(ctx, await withDedicated()),
    );
  }
  if (dedicated) await dedicated.stop();
  if (runs(options, 'local'))
    await phase('local', 'local runtime over WebSocket', () => measureLocal(ctx));
  if (runs(options, 'client'))
    await phase('client', '@presence/client bundle size', () => measureClientBundle(ctx));
  if (runs(options, 'bundles'))
    await phase('bundles', 'function bundles and cold start', () => measureBundles(ctx));

  await runCleanup();
  const totalS = (Date.now() - started) / 1000;
  const markdown = [
    `# pnpm bench${options.quick ? ' --quick' : ''}: results`,
    '',
    renderFacts(facts),
    `- mode: ${options.quick ? 'quick (small seed, short phases: development numbers)' : 'full'}; ${options.phaseMs / 1000} s per measured phase; total ${totalS.toFixed(0)} s`,
    // The load at the end beside the one at the start: other work on the machine moves every rate.
    `- load average at end ${loadAverageNow()} (${facts.cores} cores; above the core count, other work shared the CPU during the run)`,
    `- gateway latency model: the \`@connections\` stand-in answers each POST/DELETE after ${options.gatewayLatencyMs} ms${options.gatewayLatencyMs === 0 ? ' (loopback, CPU-bound)' : ''}; rows marked @N ms ran at N ms (${API_GATEWAY_LIKE_LATENCY_MS} ms: API Gateway-like latency, a timer, not a network); one Lambda runtime (container) per concurrent caller`,
    ...report.notes.map((n) => `- ${n}`),
    '',
    renderMarkdownTable(report.rows),
    '',
    ...report.tables.flatMap((table) => [
      `## ${table.title}`,
      '',
      table.intro,
      '',
      table.markdown,
      '',
    ]),
    '## Targets',
    '',
    ...report.targetNotes.flatMap((note) => [note, '']),
    renderTargets(report.targets),
    '',
  ].join('\n');
  process.stdout.write(`\n${markdown}`);
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'latest.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  process.stderr.write(`\nwritten to ${out}\n`);
  return 0;
}

let options: BenchOptions;
try {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  options = parseOptions(process.argv.slice(2).filter((a) => a !== '--'));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
main(options).then(
  (code) => process.exit(code),
  async (error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    await runCleanup();
    process.exit(1);
  },
);
