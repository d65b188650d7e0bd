import { vi } from 'vitest';

/** One Embedded Metric Format line as a function writes it on stdout. */
export interface EmfLine {
  readonly _aws: {
    readonly CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/**
 * Captures what is written on stdout (where Powertools writes EMF lines and log lines) and stderr
 * (where it writes error lines), and parses the JSON lines out of it.
 */
export function captureStdout() {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(record),
    vi.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    /** Every JSON line written since the capture started (log lines and EMF lines). */
    lines,
    /** Every EMF line since the capture started (or the last `clear`). */
    emf: (): EmfLine[] => lines().filter((line): line is EmfLine => '_aws' in line),
    /** The sum of a metric's values over the EMF lines of `operation`. */
    total(metric: string, operation?: string): number | undefined {
      let sum: number | undefined;
      for (const line of this.emf()) {
        if (operation !== undefined && line.operation !== operation) continue;
        const value = line[metric];
        if (value === undefined) continue;
        const values = Array.isArray(value) ? (value as number[]) : [value as number];
        sum = (sum ?? 0) + values.reduce((a, b) => a + b, 0);
      }
      return sum;
    },
    clear: () => {
      chunks.length = 0;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
