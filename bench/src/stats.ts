/** Summary of one measured phase: throughput and latency percentiles. */
export interface PhaseStats {
  /** Operations completed. */
  readonly ops: number;
  /** Operations that threw (counted, not in the latencies). */
  readonly errors: number;
  /** Wall-clock duration of the phase, ms. */
  readonly elapsedMs: number;
  /** Completed operations per second. */
  readonly opsPerSec: number;
  /** Median latency, ms. */
  readonly p50Ms: number;
  /** 99th percentile latency, ms. */
  readonly p99Ms: number;
}

/**
 * The `p`-th percentile (0..100) of `values` by the nearest-rank method on a sorted copy:
 * the smallest value such that at least p% of the values are ≤ it. `NaN` for no values.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

/** {@link percentile} on values already sorted ascending (no copy). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Builds {@link PhaseStats} from per-operation latencies (ms) and the phase's wall time. */
export function summarize(
  latenciesMs: ArrayLike<number>,
  elapsedMs: number,
  errors = 0,
): PhaseStats {
  const sorted = Float64Array.from(latenciesMs).sort();
  const ops = sorted.length;
  return {
    ops,
    errors,
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? (ops * 1000) / elapsedMs : Number.NaN,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
  };
}

/** A growth point: a size (friends, connections) and the cost measured at that size. */
export interface GrowthPoint {
  readonly size: number;
  readonly cost: number;
}

/**
 * Growth of cost per 10× of size between consecutive points, normalised to a factor of 10:
 * `(cost2 / cost1) ^ (1 / log10(size2 / size1))`. Linear cost gives 10, constant cost 1, quadratic
 * 100. The first point has no factor (`undefined`).
 * @example growthPer10x([{size: 10, cost: 1}, {size: 100, cost: 10}]) // [undefined, 10]
 */
export function growthPer10x(points: readonly GrowthPoint[]): (number | undefined)[] {
  return points.map((point, i) => {
    const prev = points[i - 1];
    if (prev === undefined) return undefined;
    const decades = Math.log10(point.size / prev.size);
    if (!(decades > 0) || !(prev.cost > 0) || !(point.cost > 0)) return undefined;
    return (point.cost / prev.cost) ** (1 / decades);
  });
}

/** Ratio `a / b`, `undefined` when either side is missing or `b` is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return undefined;
  }
  return a / b;
}

/**
 * Throughput of steps run one after the other by each caller, from each step's throughput measured
 * alone at the same number of callers: the times per operation add, so the rates combine as
 * `1 / (1/a + 1/b + …)`. `undefined` when a step is missing or not a positive rate.
 * @example sequentialRate([1000, 1000]) // 500
 */
export function sequentialRate(rates: readonly (number | undefined)[]): number | undefined {
  if (rates.length === 0) return undefined;
  let seconds = 0;
  for (const rate of rates) {
    if (rate === undefined || !Number.isFinite(rate) || !(rate > 0)) return undefined;
    seconds += 1 / rate;
  }
  return 1 / seconds;
}

/** CPU time per unit of work (µs), `undefined` when no unit was done. */
export function cpuMicrosPer(
  cpu: { user: number; system: number },
  units: number,
): number | undefined {
  if (!(units > 0)) return undefined;
  return (cpu.user + cpu.system) / units;
}
