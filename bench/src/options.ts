/** What one `pnpm bench` run does. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Regular users seeded in PostgreSQL (and online in Redis for the operation phases). */
  readonly users: number;
  /** Accepted friends per regular user. */
  readonly friends: number;
  /** Length of each measured closed-loop phase, ms. */
  readonly phaseMs: number;
  /** Operation budget of each measured phase. */
  readonly phaseOps: number;
  /** Concurrent callers per phase. */
  readonly concurrency: readonly number[];
  /** Stale connections of the store-sweep scaling curve. */
  readonly sweepSizes: readonly number[];
  /** Friend counts of the get-presence and fan-out curves. */
  readonly hubSizes: readonly number[];
  /** Online friends of the fan-out curve. */
  readonly fanOutSizes: readonly number[];
  /** Stale users of the legacy-vs-new sweep comparison (50 friends each). */
  readonly sweepCompareUsers: number;
  /** Stale users of the full (friends notified) sweep; 0 skips it. */
  readonly fullSweepUsers: number;
  /** Users online for the Redis memory-per-user measurement. */
  readonly memoryUsers: number;
  /** WebSocket clients of the local-runtime phase (0 skips it). */
  readonly wsClients: number;
  /** Length of the local-runtime phase, ms. */
  readonly wsMs: number;
  /**
   * The `@connections` stand-in's answer delay for every phase, ms (`--gateway-latency-ms`,
   * default 0: loopback, CPU-bound).
   */
  readonly gatewayLatencyMs: number;
  /**
   * Gateway latencies the post-heavy phases run at (update-presence, last-tab disconnect, the sweep
   * comparison, the fan-out curve): the base latency, then {@link API_GATEWAY_LIKE_LATENCY_MS}.
   * In --quick, only update-presence and the sweep comparison run the second one.
   */
  readonly gatewayLatencies: readonly number[];
  /** Only run these sections (empty: all). */
  readonly only: readonly string[];
}

/** The gateway latency the post-heavy phases also run at: API Gateway `@connections` is tens of ms away. */
export const API_GATEWAY_LIKE_LATENCY_MS = 20;

/** Every section name `--only` accepts. */
export const SECTIONS = [
  'limit',
  'postgres',
  'work',
  'handlers',
  'legacy',
  'sweep',
  'scaling',
  'memory',
  'local',
  'client',
  'bundles',
] as const;

/** Usage text of the CLI. */
export const USAGE = `usage: pnpm bench [--quick] [--users N] [--phase-seconds S] [--gateway-latency-ms N] [--only ${SECTIONS.join(',')}] [--no-local]
  --quick                small seed and short phases (< 60 s), for development
  --users N              regular users seeded (default 100000, quick 10000)
  --phase-seconds S      length of each measured phase (default 5, quick 0.3)
  --gateway-latency-ms N the @connections stand-in answers each POST/DELETE after N ms (default 0);
                         post-heavy phases also run at ${API_GATEWAY_LIKE_LATENCY_MS} ms (API Gateway-like latency)
  --only a,b             run only these sections
  --no-local             skip the WebSocket phase of the local runtime
  --ws-clients N         WebSocket clients of the local-runtime phase (default 1000, quick 100)
  --ws-seconds S         length of each local-runtime run (default 60, quick 5)`;

/** Parses CLI arguments into options; throws with a message naming the bad argument. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const withValue = [
    '--users',
    '--phase-seconds',
    '--gateway-latency-ms',
    '--only',
    '--ws-clients',
    '--ws-seconds',
  ];
  const known = new Set(['--quick', '--no-local', '--help', ...withValue]);
  for (const [i, arg] of argv.entries()) {
    const prev = argv[i - 1];
    const isValue = prev !== undefined && withValue.includes(prev);
    if (!isValue && !known.has(arg)) throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  const positive = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!(n > 0) || !Number.isFinite(n))
      throw new Error(`${name} must be a positive number, got ${raw}`);
    return n;
  };
  const latencyRaw = value('--gateway-latency-ms');
  const gatewayLatencyMs = latencyRaw === undefined ? 0 : Number(latencyRaw);
  if (!(gatewayLatencyMs >= 0) || !Number.isFinite(gatewayLatencyMs) || latencyRaw?.trim() === '') {
    throw new Error(`--gateway-latency-ms must be a number of ms ≥ 0, got ${latencyRaw}`);
  }
  const users = Math.round(positive('--users', quick ? 10_000 : 100_000));
  if (users < 5_000)
    throw new Error('--users must be at least 5000 (the largest hub has 5,000 friends)');
  const only = (value('--only') ?? '').split(',').filter((s) => s !== '');
  for (const s of only) {
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new Error(`--only: unknown section ${s}`);
  }
  const noLocal = argv.includes('--no-local');
  return {
    quick,
    users,
    friends: 50,
    phaseMs: positive('--phase-seconds', quick ? 0.3 : 5) * 1000,
    phaseOps: quick ? 5_000 : 200_000,
    concurrency: [1, 16],
    sweepSizes: quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000],
    hubSizes: [10, 100, 1_000, 5_000],
    fanOutSizes: [10, 100, 1_000],
    sweepCompareUsers: quick ? 50 : 2_000,
    fullSweepUsers: quick ? 0 : Math.min(users, 100_000),
    memoryUsers: quick ? 5_000 : 100_000,
    wsClients: noLocal ? 0 : Math.round(positive('--ws-clients', quick ? 100 : 1_000)),
    wsMs: positive('--ws-seconds', quick ? 5 : 60) * 1000,
    gatewayLatencyMs,
    gatewayLatencies: [...new Set([gatewayLatencyMs, API_GATEWAY_LIKE_LATENCY_MS])],
    only,
  };
}

/** Whether a section runs under these options. */
export function runs(options: BenchOptions, section: (typeof SECTIONS)[number]): boolean {
  return options.only.length === 0 || options.only.includes(section);
}
