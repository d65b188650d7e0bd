/** How a per-call limit is shared among buckets. */
export interface Budget {
  /** Items to take from each bucket that gets some, by bucket. */
  readonly budgets: Map<number, number>;
  /** True when some bucket with items got no budget (call again). */
  readonly more: boolean;
}

/**
 * Shares `limit` among buckets by their counts, visiting buckets from `start` (rotating between
 * calls so that small limits reach every bucket in turn): a call takes exactly `min(limit, total)`.
 */
export function shareBudget(counts: readonly number[], limit: number, start: number): Budget {
  const budgets = new Map<number, number>();
  let remaining = limit;
  let more = false;
  for (let rank = 0; rank < counts.length; rank++) {
    const bucket = (start + rank) % counts.length;
    const count = counts[bucket] ?? 0;
    if (count <= 0) continue;
    if (remaining === 0) {
      more = true;
      continue;
    }
    const budget = Math.min(count, remaining);
    budgets.set(bucket, budget);
    remaining -= budget;
  }
  return { budgets, more };
}
