/**
 * `npm run bench`: runs every workspace's `bench` script in turn (their reports shown as they
 * come), collects the rows each records (bench/results.ts) and ends with one summary table.
 *
 * A bench that cannot run records a "skipped: why" row and exits 0; a bench that exits non-zero,
 * or reports nothing, gets a FAILED row and makes this script exit 1 after the table.
 * `npm run bench -- server stats` runs only those workspaces.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchRow, isSkipped, parseRows, RESULTS_FILE_VARIABLE } from './results.js';

const ROOT = join(import.meta.dirname, '..');

interface WorkspaceRun {
  readonly workspace: string;
  readonly rows: BenchRow[];
  readonly failure?: string;
  readonly seconds: number;
}

/** The workspaces (in the root package.json's order) that have a `bench` script. */
function benchWorkspaces(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return root.workspaces.filter((workspace) => {
    const file = join(ROOT, workspace, 'package.json');
    if (!existsSync(file)) return false;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> };
    return typeof pkg.scripts?.bench === 'string';
  });
}

let interrupted = false;

/** Runs `npm run bench -w <workspace>` with its output shown; resolves to its exit status. */
function runBench(workspace: string, resultsFile: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'bench', '-w', workspace], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, [RESULTS_FILE_VARIABLE]: resultsFile },
    });
    child.once('error', (error) => resolve(`could not start npm: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (signal) resolve(`killed by ${signal}`);
      else if (code !== 0) resolve(`exit code ${code}`);
      else resolve(undefined);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The table

/** A number for people: thousands separated, about three significant digits. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs === 0) return '0';
  if (abs >= 1e6) return `${(x / 1e6).toFixed(2)} million`;
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 0.01) return x.toFixed(2);
  return x.toExponential(1);
}

const withUnit = (x: number, unit: string) =>
  unit ? `${formatNumber(x)} ${unit}` : formatNumber(x);

/** ours / baseline, and as a factor in plain words when it is far from 1. */
function formatRatio(ratio: number, better: 'lower' | 'higher'): string {
  const factor = ratio >= 1 ? ratio : 1 / ratio;
  if (factor < 1.5) return formatNumber(ratio);
  const good = ratio < 1 === (better === 'lower');
  const times =
    factor >= 10_000
      ? factor.toExponential(0).replace('+', '')
      : factor >= 10
        ? Math.round(factor).toLocaleString('en-US')
        : factor.toFixed(1);
  return `${formatNumber(ratio)} (${times}x ${good ? 'better' : 'worse'})`;
}

const HEADER = ['benchmark', 'measure', 'Vibariant', 'baseline', 'ratio', 'better', 'target met?'];

function cells(row: BenchRow): string[] {
  if (isSkipped(row))
    return [row.benchmark, row.measure, `skipped: ${row.skipped}`, '', '', '', ''];
  const baseline =
    row.baseline === null ? '-' : `${withUnit(row.baseline, row.unit)} (${row.baselineName})`;
  const target = row.target === undefined ? '' : `${row.met ? 'yes' : 'NO'} (${row.target})`;
  return [
    row.benchmark,
    row.measure,
    withUnit(row.ours, row.unit),
    baseline,
    row.ratio === null ? '-' : formatRatio(row.ratio, row.better),
    row.better,
    target,
  ];
}

/** A Markdown table with padded columns: readable in a terminal, pastable into Markdown. */
function table(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(HEADER),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const duration = (seconds: number) =>
  seconds < 120 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const available = benchWorkspaces();
  const asked = process.argv.slice(2);
  const unknown = asked.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    console.error(`no bench in: ${unknown.join(', ')} (benches: ${available.join(', ')})`);
    return 2;
  }
  const workspaces = asked.length > 0 ? available.filter((w) => asked.includes(w)) : available;

  // Ctrl-C reaches the benches too (one process group); they clean up (the server's drop their
  // database) and exit, and the table of what ran is still printed.
  process.on('SIGINT', () => {
    interrupted = true;
  });
  process.on('SIGTERM', () => {
    interrupted = true;
  });

  const directory = mkdtempSync(join(tmpdir(), 'vibariant-bench-'));
  const runs: WorkspaceRun[] = [];
  const started = performance.now();
  try {
    for (const workspace of workspaces) {
      if (interrupted) break;
      const file = join(directory, `${workspace}.jsonl`);
      console.log(`\n#### npm run bench -w ${workspace}\n`);
      const t0 = performance.now();
      let failure = await runBench(workspace, file);
      const seconds = (performance.now() - t0) / 1000;
      const { rows, errors } = parseRows(existsSync(file) ? readFileSync(file, 'utf8') : '');
      if (errors.length > 0) {
        failure = [failure, ...errors].filter(Boolean).join('; ');
      } else if (!failure && rows.length === 0) {
        failure = 'reported no results';
      }
      runs.push({ workspace, rows, seconds, ...(failure ? { failure } : {}) });
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  const totalSeconds = (performance.now() - started) / 1000;

  const rows: string[][] = [];
  for (const run of runs) {
    rows.push(...run.rows.map(cells));
    if (run.failure)
      rows.push([run.workspace, '(the bench)', `FAILED: ${run.failure}`, '', '', '', '']);
  }
  const notRun = workspaces.slice(runs.length);
  for (const workspace of notRun) {
    rows.push([workspace, '(the bench)', 'not run: interrupted', '', '', '', '']);
  }
  console.log(
    '\n#### Summary: every benchmark, Vibariant beside a baseline measured in the same run\n',
  );
  console.log(table(rows));
  console.log(
    '\nratio = Vibariant / baseline, "better" saying which direction is good. Run times: ' +
      `${runs.map((r) => `${r.workspace} ${duration(r.seconds)}`).join(', ')}; total ${duration(totalSeconds)}.`,
  );
  const failed = runs.filter((r) => r.failure).map((r) => r.workspace);
  if (failed.length > 0) console.log(`FAILED: ${failed.join(', ')}`);
  if (interrupted) return 130;
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
