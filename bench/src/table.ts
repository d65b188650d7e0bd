/** One row of the report table. Missing numbers render as `-`. */
export interface ReportRow {
  /** Group: `handlers`, `legacy`, `limit`, `postgres`, `scaling`, `memory`, `local`, ... */
  readonly section: string;
  /** What was measured, e.g. `heartbeat` or `sweep 10k stale connections`. */
  readonly name: string;
  /** Concurrent callers (closed-loop workers). */
  readonly callers?: number;
  readonly opsPerSec?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** What the ratio compares against, e.g. `redis-benchmark zadd`. */
  readonly versus?: string;
  /** This row's throughput (or cost) relative to {@link versus}: >1 means better. */
  readonly ratio?: number;
  /** Free text: growth factors, sizes, "not measured: why". */
  readonly note?: string;
}

/** Formats a number for the table: 3 significant digits under 100, thousands grouped above. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

/** Formats a ratio as `12.3×`. */
export function formatRatio(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '-' : `${formatNumber(value)}×`;
}

const HEADERS = [
  'section',
  'measurement',
  'callers',
  'ops/s',
  'p50 ms',
  'p99 ms',
  'vs',
  'ratio',
  'note',
];

/** Cells of one row in header order. */
export function rowCells(row: ReportRow): string[] {
  return [
    row.section,
    row.name,
    row.callers === undefined ? '-' : String(row.callers),
    formatNumber(row.opsPerSec),
    formatNumber(row.p50Ms),
    formatNumber(row.p99Ms),
    row.versus ?? '-',
    formatRatio(row.ratio),
    row.note ?? '',
  ];
}

function escapeCell(cell: string): string {
  return cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Renders rows as one GitHub-flavoured Markdown table, columns padded so it reads in a terminal. */
export function renderMarkdownTable(rows: readonly ReportRow[]): string {
  const body = rows.map((row) => rowCells(row).map(escapeCell));
  const widths = HEADERS.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)),
  );
  const numeric = new Set([2, 3, 4, 5, 7]);
  const line = (cells: readonly string[]) =>
    `| ${cells
      .map((cell, i) =>
        numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(Math.max(1, w - 1))}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(HEADERS), rule, ...body.map(line)].join('\n');
}
