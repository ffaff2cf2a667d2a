/**
 * The key results of every benchmark, in one shape. Each workspace's bench prints its detailed
 * report as before and also records a few rows here; `npm run bench` (bench/run.ts) collects
 * them and ends with one summary table.
 *
 * Rows go, one JSON object per line, to the file named by VIBARIANT_BENCH_RESULTS; without it
 * (`npm run bench -w <workspace>`) recording does nothing. Appending lets several processes of
 * one workspace's bench share the file. Node built-ins only: the benches bundle this file.
 */
import { appendFileSync } from 'node:fs';

/** The environment variable naming the file rows are appended to. */
export const RESULTS_FILE_VARIABLE = 'VIBARIANT_BENCH_RESULTS';

/** Ours beside a baseline measured in the same run. */
export interface MeasuredRow {
  /** Which benchmark, e.g. "SDK" or "server ingestion". */
  readonly benchmark: string;
  /** What was measured, e.g. "core bundle, gzipped". */
  readonly measure: string;
  /** Unit of `ours` and `baseline`, e.g. "KB", "us", "events/s" ("" for a pure number). */
  readonly unit: string;
  /** Vibariant's value. */
  readonly ours: number;
  /** The baseline's value, measured in the same run; null when there is none. */
  readonly baseline: number | null;
  /** What the baseline is, e.g. "GrowthBook class"; "" when there is none. */
  readonly baselineName: string;
  /** ours / baseline; null without a baseline. */
  readonly ratio: number | null;
  /** Whether a lower or a higher value is better. */
  readonly better: 'lower' | 'higher';
  /** The target, in words, e.g. "< 20 us" or "ratio >= 0.50". */
  readonly target?: string;
  /** Whether the target was met (present with `target`). */
  readonly met?: boolean;
}

/** A measure that could not be taken in this run, and why (no PostgreSQL, no chromium). */
export interface SkippedRow {
  readonly benchmark: string;
  readonly measure: string;
  readonly skipped: string;
}

export type BenchRow = MeasuredRow | SkippedRow;

export const isSkipped = (row: BenchRow): row is SkippedRow => 'skipped' in row;

function append(row: BenchRow): void {
  const file = process.env[RESULTS_FILE_VARIABLE];
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** Records a measure; the ratio is computed here, as ours / baseline. */
export function recordMeasure(
  row: Omit<MeasuredRow, 'ratio' | 'baseline' | 'baselineName'> &
    Partial<Pick<MeasuredRow, 'baseline' | 'baselineName'>>,
): void {
  const baseline = row.baseline ?? null;
  append({
    ...row,
    baseline,
    baselineName: row.baselineName ?? '',
    ratio: baseline === null || baseline === 0 ? null : row.ours / baseline,
  });
}

/** Records that a benchmark (or one of its measures) was skipped, and why. */
export function recordSkip(benchmark: string, measure: string, why: string): void {
  append({ benchmark, measure, skipped: why });
}

/** Parses the rows of a results file; a line that is not a row is returned as an error. */
export function parseRows(text: string): { rows: BenchRow[]; errors: string[] } {
  const rows: BenchRow[] = [];
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as Partial<MeasuredRow & SkippedRow>;
      const named = typeof value.benchmark === 'string' && typeof value.measure === 'string';
      if (named && (typeof value.skipped === 'string' || typeof value.ours === 'number')) {
        rows.push(value as BenchRow);
      } else {
        errors.push(`not a result row: ${line.slice(0, 120)}`);
      }
    } catch {
      errors.push(`not JSON: ${line.slice(0, 120)}`);
    }
  }
  return { rows, errors };
}
