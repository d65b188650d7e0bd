import type { PhaseStats } from './stats.js';
import { formatNumber, type ReportRow } from './table.js';

/** A target of issue 7, judged on this run's numbers. */
export interface TargetLine {
  readonly name: string;
  /** `undefined` when it could not be measured. */
  readonly pass: boolean | undefined;
  /** The numbers behind the verdict, or why it was not measured. */
  readonly detail: string;
}

/** Collects rows and target verdicts while phases run. */
export class Report {
  readonly rows: ReportRow[] = [];
  readonly targets: TargetLine[] = [];
  readonly notes: string[] = [];
  /** Paragraphs printed above the target lines (how they are judged). */
  readonly targetNotes: string[] = [];
  /** Tables of their own shape, printed after the main table (the work per operation). */
  readonly tables: { readonly title: string; readonly intro: string; readonly markdown: string }[] =
    [];

  /** Adds a measured row from phase stats. */
  add(row: ReportRow, stats?: PhaseStats): ReportRow {
    const full: ReportRow = stats
      ? { ...row, opsPerSec: stats.opsPerSec, p50Ms: stats.p50Ms, p99Ms: stats.p99Ms }
      : row;
    this.rows.push(full);
    return full;
  }

  /** Adds a "not measured: why" row: never a made-up number. */
  notMeasured(section: string, name: string, why: string): void {
    this.rows.push({ section, name, note: `not measured: ${why}` });
  }

  /** Records a target verdict. */
  target(
    name: string,
    measured: number | undefined,
    op: '>=' | '<=' | '<',
    goal: number,
    unit: string,
    detail = '',
  ): void {
    if (measured === undefined || Number.isNaN(measured)) {
      this.targets.push({ name, pass: undefined, detail: detail || 'not measured' });
      return;
    }
    const pass = op === '>=' ? measured >= goal : op === '<=' ? measured <= goal : measured < goal;
    this.targets.push({
      name,
      pass,
      detail: `${formatNumber(measured)}${unit} (target ${op} ${formatNumber(goal)}${unit})${detail ? `; ${detail}` : ''}`,
    });
  }
}

/** Renders target verdicts as `PASS`/`MISS`/`NOT MEASURED` lines. */
export function renderTargets(targets: readonly TargetLine[]): string {
  return targets
    .map(
      (t) =>
        `- ${t.pass === undefined ? 'NOT MEASURED' : t.pass ? 'PASS' : 'MISS'} ${t.name}: ${t.detail}`,
    )
    .join('\n');
}
