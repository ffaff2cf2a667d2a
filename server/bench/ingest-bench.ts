/**
 * Benchmark of the server core against PostgreSQL (`npm run bench -w server`). Prints; never
 * fails on a number.
 *
 * 1. Ingestion throughput: events per second through the real `POST /v1/events` (the app
 *    listening on an ephemeral port, the load generator in a worker thread, batches of 50 events
 *    of a realistic mix, a fixed number of requests in flight), beside the rate of plain
 *    multi-row INSERTs of the same rows into the same `events` table through `pg` with the same
 *    concurrency, in the same run. Target: the API reaches at least half the plain-insert rate.
 * 2. Where the time goes: what the PostgreSQL backends were doing during the throughput runs
 *    (running, waiting for WAL, for a row lock and in which statement, or idle in a transaction
 *    waiting for the app); a what-if run with the decision recompute switched off; and every SQL
 *    round trip of one request at a time, with the process CPU per batch.
 * 3. Independence of history: one decision recompute (`DecisionService.refresh`) and one POST of
 *    50 events, for an experiment with 1,000 prior events and one with 1,000,000 (seeded in bulk
 *    with SQL); the ratio must stay near 1.
 *
 * It creates its own database `vibariant_bench_<random>` on the server of BENCH_DATABASE_URL
 * (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) and drops it at the
 * end, also on failure. Without a reachable server it prints a skip line and exits 0.
 * Knobs: BENCH_BATCHES (per run, default 2000), BENCH_CONCURRENCY (default "4,8,16"),
 * BENCH_HISTORY_EVENTS (default 1000000). Its key results also go to the summary of
 * `npm run bench` (bench/results.ts).
 */
import { createServer, Agent as HttpAgent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { pino } from 'pino';
import { recordMeasure } from '../../bench/results.js';
import { createApp } from '../src/app.js';
import { createServices, type Services } from '../src/composition-root.js';
import { type Database, migrate, openDatabase } from '../src/db/database.js';
import { newId } from '../src/features/projects/credentials.js';
import { type BenchDatabase, benchServerUrl, redactUrl, startBenchRun } from './bench-database.js';
import {
  type HistoryShape,
  SEEDED_VARIANTS,
  type SeedCounts,
  seededVisitors,
  seedHistory,
  seedIsConsistent,
  visitorsOf,
} from './history-seed.js';
import { type PostTarget, post } from './http-post.js';
import type { LoadJob, LoadResult } from './load-client.js';
import { QueryProfiler, type StatementTotals, scriptLabel } from './query-profiler.js';
import {
  BATCH_SIZE,
  type Batch,
  batchBody,
  type ExperimentSpec,
  plainInsertSql,
  plainInsertValues,
  TrafficModel,
} from './traffic.js';

/** What desktop Chrome sends: bot traffic is stored but not counted, so the bench is a browser. */
const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The app's PostgreSQL pool size when nothing sets it (openDatabase's default). */
const APP_POOL_MAX = 10;

const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const BATCHES = positiveInt(process.env.BENCH_BATCHES, 2_000);
const WARM_UP_BATCHES = 300;
const PROFILE_BATCHES = 200;
const GIVEN_CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '')
  .split(',')
  .map((c) => positiveInt(c.trim(), 0))
  .filter((c) => c > 0);
const CONCURRENCY = GIVEN_CONCURRENCY.length > 0 ? GIVEN_CONCURRENCY : [4, 8, 16];
const HISTORY_EVENTS = positiveInt(process.env.BENCH_HISTORY_EVENTS, 1_000_000);
/**
 * The two histories: 1,000 events of 100 visitors, and 1,000,000 events of 10,000 visitors who
 * came back often (a long-running experiment on a small app). Both stay undecided, so both
 * recomputes include the projection of the visitors still needed.
 */
const HISTORIES: readonly HistoryShape[] = [
  { events: 1_000, eventsPerVisitor: 10 },
  { events: HISTORY_EVENTS, eventsPerVisitor: 100 },
];
const REFRESH_RUNS = 200;
const POST_RUNS = 50;
const TARGET_RATIO = 0.5;
const BENCHMARK = 'server ingestion';

const THROUGHPUT_EXPERIMENTS: readonly ExperimentSpec[] = [
  { key: 'checkout-button', variants: ['control', 'green'] },
  { key: 'pricing-page', variants: ['control', 'annual-first', 'monthly-first'] },
];

// ---------------------------------------------------------------------------------------------
// Formatting and summaries

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const fixed = (x: number, digits = 2) => x.toFixed(digits);
const pad = (text: string | number, width: number) => String(text).padStart(width);

/** The q-quantile (nearest rank) of ascending `sorted`. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

// ---------------------------------------------------------------------------------------------
// What the PostgreSQL backends are doing

/**
 * Mean number of the bench database's client backends in each state, over samples; also, under
 * `LOCK_PREFIX + statement label`, those waiting for a lock in that statement.
 */
type ActivityProfile = Record<string, number>;

const LOCK_PREFIX = 'lock: ';

const ACTIVITY_CLASSES = [
  'running',
  'lock wait',
  'WAL/IO wait',
  'LWLock wait',
  'in transaction, waiting for app',
  'idle',
  'other',
] as const;

/**
 * Samples pg_stat_activity every 50 ms while started. Tells a run limited by PostgreSQL (running,
 * waiting for WAL or row locks) from one limited by the application (idle in transaction).
 */
class ActivitySampler {
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;
  private totals = new Map<string, number>();
  private busy = false;

  constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  start(): void {
    this.samples = 0;
    this.totals = new Map();
    this.timer = setInterval(() => void this.sample(), 50);
  }

  stop(): ActivityProfile {
    clearInterval(this.timer);
    const out: ActivityProfile = {};
    for (const [name, total] of this.totals) {
      out[name] = this.samples === 0 ? 0 : total / this.samples;
    }
    return out;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
        query: string | null;
      }>(
        `SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [this.database],
      );
      this.samples++;
      for (const row of rows) {
        const name = classify(row.state, row.wait_event_type, row.wait_event);
        this.totals.set(name, (this.totals.get(name) ?? 0) + 1);
        if (name === 'lock wait') {
          const key = `${LOCK_PREFIX}${scriptLabel(row.query ?? '')}`;
          this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

function classify(state: string | null, type: string | null, event: string | null): string {
  if (state === 'idle') return 'idle';
  if (state === 'idle in transaction') return 'in transaction, waiting for app';
  if (state !== 'active') return 'other';
  if (type === null || type === 'CPU') return 'running';
  if (type === 'Lock') return 'lock wait';
  if (type === 'IO' || (event ?? '').startsWith('WAL')) return 'WAL/IO wait';
  if (type === 'LWLock') return 'LWLock wait';
  return 'other';
}

function activityLine(profile: ActivityProfile): string {
  const states = ACTIVITY_CLASSES.filter((name) => (profile[name] ?? 0) >= 0.05).map(
    (name) => `${name} ${fixed(profile[name] ?? 0, 1)}`,
  );
  const locks = Object.entries(profile)
    .filter(([name, mean]) => name.startsWith(LOCK_PREFIX) && mean >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, mean]) => `${name.slice(LOCK_PREFIX.length)} ${fixed(mean, 1)}`);
  return locks.length === 0
    ? states.join(', ')
    : `${states.join(', ')}\n      lock waits in: ${locks.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Load

/** Runs a load job in a worker thread (the bundled load-client.mjs beside this file). */
function runLoadInWorker(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-client.mjs', import.meta.url), { workerData: job });
    worker.once(
      'message',
      (message: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        void worker.terminate();
        if (message.ok) resolve(message.result);
        else reject(new Error(message.error));
      },
    );
    worker.once('error', reject);
  });
}

/** One measured run of either path. */
interface RunResult {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly activity: ActivityProfile;
  /** Event-loop utilisation of the server's thread (API runs only). */
  readonly serverElu?: number;
  /** Decision recomputes that finished during the run, per batch (API runs only). */
  readonly recomputesPerBatch?: number;
}

/**
 * Switches the app's decision recompute (its `stats:changed` subscription) off and on again,
 * for the what-if measurements.
 */
class RecomputeSwitch {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly services: Services) {
    this.unsubscribe = () => void services.stop();
  }

  pause(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  resume(): void {
    this.unsubscribe ??= this.services.decisions.start();
  }
}

interface BenchContext {
  readonly services: Services;
  readonly recompute: RecomputeSwitch;
  readonly db: Database;
  readonly plainPool: pg.Pool;
  readonly sampler: ActivitySampler;
  readonly target: PostTarget;
  readonly projectId: string;
}

async function runApi(
  context: BenchContext,
  batches: readonly Batch[],
  concurrency: number,
): Promise<RunResult> {
  const bodies = batches.map(batchBody);
  let recomputes = 0;
  const unsubscribe = context.services.events.on('decision:changed', () => {
    recomputes++;
  });
  const elu0 = performance.eventLoopUtilization();
  context.sampler.start();
  const result = await runLoadInWorker({ target: context.target, bodies, concurrency });
  const activity = context.sampler.stop();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  unsubscribe();
  // Recomputes scheduled by the last batches finish before the next run starts (not timed).
  await context.services.decisions.whenIdle();
  const expected = batches.length * BATCH_SIZE;
  if (result.statuses['200'] !== batches.length || result.accepted !== expected) {
    console.log(
      `  warning: API run answered ${JSON.stringify(result.statuses)}, accepted ${result.accepted} of ${expected}` +
        (result.firstError ? `; first error: ${result.firstError}` : ''),
    );
  }
  return {
    eventsPerSecond: (result.accepted * 1000) / result.elapsedMs,
    p50Ms: quantile(result.latenciesMs, 0.5),
    p99Ms: quantile(result.latenciesMs, 0.99),
    activity,
    serverElu: elu,
    recomputesPerBatch: recomputes / batches.length,
  };
}

async function runPlain(
  context: BenchContext,
  batches: readonly Batch[],
  concurrency: number,
): Promise<RunResult> {
  const sql = plainInsertSql(BATCH_SIZE);
  const values = batches.map((b) => plainInsertValues(context.projectId, b));
  const latencies: number[] = new Array(values.length);
  let next = 0;
  context.sampler.start();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= values.length) return;
        const t0 = performance.now();
        await context.plainPool.query(sql, values[i]);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const activity = context.sampler.stop();
  const sorted = ascending(latencies);
  return {
    eventsPerSecond: (values.length * BATCH_SIZE * 1000) / elapsedMs,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    activity,
  };
}

// ---------------------------------------------------------------------------------------------
// Sections

interface ThroughputRow {
  readonly concurrency: number;
  readonly api: RunResult;
  readonly plain: RunResult;
}

async function throughput(context: BenchContext, model: TrafficModel): Promise<ThroughputRow[]> {
  console.log(
    `\n== Ingestion throughput: POST /v1/events vs plain multi-row INSERT into events (same batches of ${BATCH_SIZE}, ${int(BATCHES)} batches = ${int(BATCHES * BATCH_SIZE)} events per run) ==`,
  );
  // Warm-up: JIT, connection pools, the code-first experiments, returning visitors.
  const warmUp = model.take(WARM_UP_BATCHES);
  await runApi(context, warmUp, 8);
  await runPlain(context, warmUp, 8);

  const rows: ThroughputRow[] = [];
  console.log(
    ` in flight | ${pad('API ev/s', 9)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('app ELU', 7)} ${pad('recomp/batch', 12)} | ${pad('plain ev/s', 10)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} | API/plain`,
  );
  for (const [index, concurrency] of CONCURRENCY.entries()) {
    const batches = model.take(BATCHES);
    // Alternate which path goes first, so that table growth does not favour either.
    let api: RunResult;
    let plain: RunResult;
    if (index % 2 === 0) {
      plain = await runPlain(context, batches, concurrency);
      api = await runApi(context, batches, concurrency);
    } else {
      api = await runApi(context, batches, concurrency);
      plain = await runPlain(context, batches, concurrency);
    }
    rows.push({ concurrency, api, plain });
    console.log(
      ` ${pad(concurrency, 9)} | ${pad(int(api.eventsPerSecond), 9)} ${pad(fixed(api.p50Ms, 1), 7)} ${pad(fixed(api.p99Ms, 1), 7)} ${pad(fixed(api.serverElu ?? 0), 7)} ${pad(fixed(api.recomputesPerBatch ?? 0), 12)} | ${pad(int(plain.eventsPerSecond), 10)} ${pad(fixed(plain.p50Ms, 1), 7)} ${pad(fixed(plain.p99Ms, 1), 7)} | ${pad(fixed(api.eventsPerSecond / plain.eventsPerSecond), 9)}`,
    );
  }
  const bestApi = rows.reduce((a, b) => (b.api.eventsPerSecond > a.api.eventsPerSecond ? b : a));
  const bestPlain = rows.reduce((a, b) =>
    b.plain.eventsPerSecond > a.plain.eventsPerSecond ? b : a,
  );
  const ratio = bestApi.api.eventsPerSecond / bestPlain.plain.eventsPerSecond;
  console.log(
    `best: API ${int(bestApi.api.eventsPerSecond)} ev/s (${bestApi.concurrency} in flight), plain ${int(bestPlain.plain.eventsPerSecond)} ev/s (${bestPlain.concurrency} in flight): API/plain ${fixed(ratio)}`,
  );
  console.log(
    `target: API >= ${fixed(TARGET_RATIO)} x plain-insert rate: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}`,
  );
  recordMeasure({
    benchmark: BENCHMARK,
    measure: `POST /v1/events, batches of ${BATCH_SIZE}, best of ${CONCURRENCY.join('/')} in flight`,
    unit: 'events/s',
    ours: bestApi.api.eventsPerSecond,
    baseline: bestPlain.plain.eventsPerSecond,
    baselineName: 'plain multi-row INSERT',
    better: 'higher',
    target: `ratio >= ${fixed(TARGET_RATIO)}`,
    met: ratio >= TARGET_RATIO,
  });
  console.log(
    '(app ELU: share of the time the app’s event loop was busy, the load generator running in a worker thread; recomp/batch: decision recomputes finished per batch, coalesced per experiment)',
  );
  console.log('PostgreSQL backends of the bench database, mean count by state:');
  for (const row of rows) {
    console.log(`  ${pad(row.concurrency, 2)} in flight, API:   ${activityLine(row.api.activity)}`);
    console.log(
      `  ${pad(row.concurrency, 2)} in flight, plain: ${activityLine(row.plain.activity)}`,
    );
  }
  return rows;
}

/**
 * A what-if run: the same API at the best concurrency with the decision recompute unsubscribed
 * (the app's `stats:changed` listener), beside a fresh plain run, to show how much of the gap
 * the recompute after each batch accounts for. The recompute is resubscribed afterwards.
 */
async function withoutRecompute(
  context: BenchContext,
  model: TrafficModel,
  rows: readonly ThroughputRow[],
): Promise<void> {
  const best = rows.reduce((a, b) => (b.api.eventsPerSecond > a.api.eventsPerSecond ? b : a));
  const batches = model.take(BATCHES);
  context.recompute.pause();
  let api: RunResult;
  let plain: RunResult;
  try {
    plain = await runPlain(context, batches, best.concurrency);
    api = await runApi(context, batches, best.concurrency);
  } finally {
    context.recompute.resume();
  }
  console.log(
    `what-if, ${best.concurrency} in flight with the decision recompute switched off: API ${int(api.eventsPerSecond)} ev/s (app ELU ${fixed(api.serverElu ?? 0)}), plain ${int(plain.eventsPerSecond)} ev/s: API/plain ${fixed(api.eventsPerSecond / plain.eventsPerSecond)}`,
  );
  console.log(`  API: ${activityLine(api.activity)}`);
}

async function profile(context: BenchContext, model: TrafficModel): Promise<void> {
  console.log(
    `\n== Where one batch's time goes (one request at a time, ${PROFILE_BATCHES} batches; every SQL round trip timed) ==`,
  );
  const batches = model.take(PROFILE_BATCHES);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const bodies = batches.map((b) => Buffer.from(batchBody(b)));
  const plainSql = plainInsertSql(BATCH_SIZE);
  const plainValues = batches.map((b) => plainInsertValues(context.projectId, b));
  const plainLatencies: number[] = [];
  for (const values of plainValues) {
    const t0 = performance.now();
    await context.plainPool.query(plainSql, values);
    plainLatencies.push(performance.now() - t0);
  }
  // First half: the decision recompute switched off, for the CPU of ingestion alone.
  const half = Math.floor(bodies.length / 2);
  context.recompute.pause();
  const ingestionCpu0 = process.cpuUsage();
  try {
    for (const body of bodies.slice(0, half)) await post(agent, context.target, body);
  } finally {
    context.recompute.resume();
  }
  const ingestionCpu = process.cpuUsage(ingestionCpu0);
  // Second half: as deployed, every SQL round trip timed.
  const latencies: number[] = [];
  const profiler = new QueryProfiler();
  profiler.setPhase('batch');
  const cpu0 = process.cpuUsage();
  try {
    for (const body of bodies.slice(half)) {
      const t0 = performance.now();
      const response = await post(agent, context.target, body);
      latencies.push(performance.now() - t0);
      if (response.status !== 200) console.log(`  warning: status ${response.status}`);
      await context.services.decisions.whenIdle();
    }
  } finally {
    profiler.stop();
    agent.destroy();
  }
  const cpu = process.cpuUsage(cpu0);
  const profiled = latencies.length;
  const cpuMs = (usage: NodeJS.CpuUsage, batches: number) =>
    (usage.user + usage.system) / 1000 / batches;
  const meanLatency = latencies.reduce((a, b) => a + b, 0) / profiled;
  console.log(
    `request latency p50 ${fixed(quantile(ascending(latencies), 0.5))} ms, mean ${fixed(meanLatency)} ms; plain INSERT of the same 50 rows p50 ${fixed(quantile(ascending(plainLatencies), 0.5))} ms`,
  );
  console.log(
    `process CPU per batch: ${fixed(cpuMs(ingestionCpu, half))} ms with the decision recompute off, ${fixed(cpuMs(cpu, profiled))} ms with it (both include the client's own POST)`,
  );
  console.log(
    `${'round trip'.padEnd(58)} ${pad('per batch', 9)} ${pad('mean ms', 8)} ${pad('ms/batch', 9)}`,
  );
  let transactionMs = 0;
  let transactionTrips = 0;
  for (const [phase, heading] of [
    ['batch, in transaction', ' in the ingestion transaction (the request waits for these):'],
    [
      'batch',
      ' outside it: token lookup (cached) and the decision recompute of the touched experiments, which starts at commit:',
    ],
  ] as const) {
    const byLabel = profiler.phases.get(phase) ?? new Map<string, StatementTotals>();
    const sorted = [...byLabel.entries()].sort((a, b) => b[1].totalMs - a[1].totalMs);
    let trips = 0;
    let ms = 0;
    console.log(heading);
    for (const [label, totals] of sorted) {
      trips += totals.count / profiled;
      ms += totals.totalMs / profiled;
      console.log(
        `  ${label.padEnd(56)} ${pad(fixed(totals.count / profiled, 1), 9)} ${pad(fixed(totals.totalMs / totals.count, 3), 8)} ${pad(fixed(totals.totalMs / profiled, 3), 9)}`,
      );
    }
    console.log(
      `  ${'total'.padEnd(56)} ${pad(fixed(trips, 1), 9)} ${pad('', 8)} ${pad(fixed(ms, 3), 9)}`,
    );
    if (phase === 'batch, in transaction') {
      transactionMs = ms;
      transactionTrips = trips;
    }
  }
  console.log(
    `per request: ${fixed(transactionTrips, 1)} round trips in the transaction, ${fixed(transactionMs)} ms; the rest of the ${fixed(meanLatency)} ms mean latency (${fixed(Math.max(0, meanLatency - transactionMs))} ms) is HTTP, JSON, zod, building the SQL and the token check`,
  );
}

interface HistoryExperiment {
  readonly label: string;
  readonly shape: HistoryShape;
  readonly projectId: string;
  readonly experimentId: string;
  readonly token: string;
  readonly model: TrafficModel;
  readonly counts: SeedCounts;
  readonly seedMs: number;
  readonly seedStepsMs: Record<string, number>;
}

async function historyExperiment(
  context: BenchContext,
  shape: HistoryShape,
): Promise<HistoryExperiment> {
  const { services } = context;
  const { project, token } = await services.projects.createProject(`Bench history ${shape.events}`);
  const createdAt = new Date(Date.now() - 31 * 86_400_000);
  const { experiment } = await services.experimentStore.insert({
    id: newId(),
    projectId: project.id,
    key: 'checkout-flow',
    name: 'Checkout flow',
    hypothesis: null,
    status: 'running',
    variants: SEEDED_VARIANTS.map((key) => ({ key, name: key })),
    primaryGoal: null,
    prior: null,
    thresholds: null,
    banditMode: 'top-two',
    weights: SEEDED_VARIANTS.map(() => 1 / SEEDED_VARIANTS.length),
    createdBy: 'api',
    createdAt,
    startedAt: createdAt,
  });
  const t0 = performance.now();
  const { counts, stepsMs } = await seedHistory(
    context.plainPool,
    { projectId: project.id, experimentId: experiment.id, experimentKey: experiment.key },
    shape,
  );
  const seedMs = performance.now() - t0;
  const model = new TrafficModel({
    experiments: [{ key: experiment.key, variants: SEEDED_VARIANTS }],
    known: seededVisitors(shape),
    seed: shape.events,
  });
  return {
    label: int(shape.events),
    shape,
    projectId: project.id,
    experimentId: experiment.id,
    token: token.token,
    model,
    counts,
    seedMs,
    seedStepsMs: stepsMs,
  };
}

async function history(context: BenchContext): Promise<void> {
  console.log(
    `\n== Decision recompute and one-batch ingestion vs history (${HISTORIES.map((h) => int(h.events)).join(' and ')} prior events) ==`,
  );
  const experiments: HistoryExperiment[] = [];
  for (const shape of HISTORIES) {
    const experiment = await historyExperiment(context, shape);
    const c = experiment.counts;
    console.log(
      `seeded ${int(c.events)} events in ${fixed(experiment.seedMs / 1000, 1)} s: ${int(c.visitors)} visitors, ${int(c.exposures)} exposures, ${int(c.conversions)} conversions; sufficient statistics agree with the rows: ${seedIsConsistent(c, shape) ? 'yes' : 'NO'}`,
    );
    const steps = Object.entries(experiment.seedStepsMs).map(
      ([name, ms]) => `${name} ${fixed(ms / 1000, 1)} s`,
    );
    console.log(`  (${steps.join(', ')})`);
    experiments.push(experiment);
  }
  const { services } = context;

  // Decision recompute: interleaved, so that drift hits both alike.
  const refreshMs = new Map<string, number[]>(experiments.map((e) => [e.experimentId, []]));
  const refreshCpuMs = new Map<string, number>(experiments.map((e) => [e.experimentId, 0]));
  const statuses = new Map<string, Set<string>>(
    experiments.map((e) => [e.experimentId, new Set()]),
  );
  for (let round = 0; round < 20 + REFRESH_RUNS; round++) {
    for (const experiment of experiments) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const decision = await services.decisions.refresh(experiment.experimentId);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (round < 20) continue;
      statuses.get(experiment.experimentId)!.add(decision?.status ?? 'none');
      refreshMs.get(experiment.experimentId)!.push(ms);
      refreshCpuMs.set(
        experiment.experimentId,
        refreshCpuMs.get(experiment.experimentId)! + (cpu.user + cpu.system) / 1000,
      );
    }
  }

  // A separate pass with every SQL round trip timed: the part of a recompute that could grow
  // with history if it read more than the sufficient statistics.
  const PROFILED_REFRESHES = 50;
  const profiler = new QueryProfiler();
  try {
    for (let round = 0; round < PROFILED_REFRESHES; round++) {
      for (const experiment of experiments) {
        profiler.setPhase(experiment.experimentId);
        await services.decisions.refresh(experiment.experimentId);
      }
    }
  } finally {
    profiler.stop();
  }
  const refreshSql = (experimentId: string) => {
    let trips = 0;
    let ms = 0;
    for (const totals of profiler.phases.get(experimentId)?.values() ?? []) {
      trips += totals.count / PROFILED_REFRESHES;
      ms += totals.totalMs / PROFILED_REFRESHES;
    }
    return { trips, ms };
  };

  // One POST of 50 events touching each experiment; recomputes finish between posts, untimed.
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const postMs = new Map<string, number[]>(experiments.map((e) => [e.experimentId, []]));
  const bodies = new Map(
    experiments.map((e) => [
      e.experimentId,
      e.model.take(10 + POST_RUNS).map((b) => Buffer.from(batchBody(b))),
    ]),
  );
  try {
    for (let round = 0; round < 10 + POST_RUNS; round++) {
      for (const experiment of experiments) {
        const target = {
          ...context.target,
          headers: { ...context.target.headers, 'x-vibariant-token': experiment.token },
        };
        const t0 = performance.now();
        const response = await post(agent, target, bodies.get(experiment.experimentId)![round]!);
        const ms = performance.now() - t0;
        if (response.status !== 200) console.log(`  warning: status ${response.status}`);
        await services.decisions.whenIdle();
        if (round >= 10) postMs.get(experiment.experimentId)!.push(ms);
      }
    }
  } finally {
    agent.destroy();
  }

  console.log(
    ` ${pad('prior events', 12)} ${pad('visitors', 8)} ${'decision'.padEnd(12)} | ${pad('refresh p50 ms', 14)} ${pad('p90 ms', 7)} ${pad('CPU ms', 7)} ${pad('SQL trips', 9)} ${pad('SQL ms', 7)} | ${pad('POST 50 events p50 ms', 21)} ${pad('p90 ms', 7)}`,
  );
  const medians: { refresh: number; post: number }[] = [];
  for (const experiment of experiments) {
    const refresh = ascending(refreshMs.get(experiment.experimentId)!);
    const posts = ascending(postMs.get(experiment.experimentId)!);
    medians.push({ refresh: quantile(refresh, 0.5), post: quantile(posts, 0.5) });
    console.log(
      ` ${pad(experiment.label, 12)} ${pad(int(visitorsOf(experiment.shape)), 8)} ${[...statuses.get(experiment.experimentId)!].join('/').padEnd(12)} | ${pad(fixed(quantile(refresh, 0.5), 3), 14)} ${pad(fixed(quantile(refresh, 0.9), 3), 7)} ${pad(fixed(refreshCpuMs.get(experiment.experimentId)! / REFRESH_RUNS, 3), 7)} ${pad(fixed(refreshSql(experiment.experimentId).trips, 1), 9)} ${pad(fixed(refreshSql(experiment.experimentId).ms, 3), 7)} | ${pad(fixed(quantile(posts, 0.5), 3), 21)} ${pad(fixed(quantile(posts, 0.9), 3), 7)}`,
    );
  }
  const [small, large] = medians;
  const baselineName = `same, ${int(HISTORIES[0]!.events)} prior events`;
  for (const [measure, key] of [
    ['decision recompute p50', 'refresh'],
    ['POST of 50 events p50', 'post'],
  ] as const) {
    recordMeasure({
      benchmark: BENCHMARK,
      measure: `${measure}, ${int(HISTORIES[1]!.events)} prior events (ratio near 1)`,
      unit: 'ms',
      ours: large![key],
      baseline: small![key],
      baselineName,
      better: 'lower',
    });
  }
  console.log(
    `ratio ${int(HISTORIES[1]!.events)} / ${int(HISTORIES[0]!.events)} prior events: refresh ${fixed(large!.refresh / small!.refresh)}, POST ${fixed(large!.post / small!.post)} (near 1: independent of history)`,
  );
  console.log(
    `(medians of ${REFRESH_RUNS} refreshes and ${POST_RUNS} POSTs each after warm-up, interleaved; CPU ms: mean process CPU per refresh, mostly decide()'s projection; SQL: mean round trips and their time per refresh, from a separate profiled pass; the smaller history grows by the ${POST_RUNS + 10} posted batches)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Main

async function bench(database: BenchDatabase): Promise<void> {
  const db = await openDatabase({ databaseUrl: database.url, poolMax: APP_POOL_MAX });
  const plainPool = new pg.Pool({
    connectionString: database.url,
    max: Math.max(...CONCURRENCY, 1),
  });
  const samplerClient = new pg.Client({ connectionString: database.url });
  let server: Server | undefined;
  let services: Services | undefined;
  let recompute: RecomputeSwitch | undefined;
  try {
    await migrate(db.knex);
    await samplerClient.connect();
    services = createServices({ db, logger: pino({ level: 'silent' }) });
    recompute = new RecomputeSwitch(services);
    const app = createApp(services, {
      rateLimitPerIp: 1_000_000_000,
      rateLimitPerToken: 1_000_000_000,
      trustProxy: 0,
      signInLinksPerIp: 1,
      signInLinksPerAddress: 1,
    });
    const listening = createServer(app);
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const { project, token } = await services.projects.createProject('Bench throughput');
    const context: BenchContext = {
      services,
      recompute,
      db,
      plainPool,
      sampler: new ActivitySampler(samplerClient, database.name),
      projectId: project.id,
      target: {
        origin,
        path: '/v1/events',
        headers: {
          'content-type': 'application/json',
          'user-agent': BROWSER_USER_AGENT,
          'x-vibariant-token': token.token,
        },
      },
    };
    const model = new TrafficModel({ experiments: THROUGHPUT_EXPERIMENTS, seed: 42 });
    const rows = await throughput(context, model);
    await withoutRecompute(context, model, rows);
    await profile(context, model);
    await history(context);
  } finally {
    if (server) {
      const open = server;
      await new Promise<void>((resolve) => open.close(() => resolve()));
    }
    recompute?.pause();
    await services?.decisions.whenIdle();
    await samplerClient.end().catch(() => undefined);
    await plainPool.end();
    await db.close();
  }
}

async function main(): Promise<void> {
  const database = await startBenchRun(import.meta.url, 'server bench', BENCHMARK);
  if (!database) return;
  const interrupted = () => {
    void database.drop().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // A crash outside the awaited chain (for example stdout closed under us) still drops it.
  process.once('uncaughtException', (error) => {
    console.error('server bench failed:', error);
    void database.drop().then(() => process.exit(1));
  });
  console.log('Vibariant server benchmark');
  console.log(
    `PostgreSQL ${database.serverVersion} at ${redactUrl(benchServerUrl())}; database ${database.name} (dropped at the end)`,
  );
  console.log(
    `Node ${process.version}, ${cpus().length} CPUs; app pool ${APP_POOL_MAX} connections, rate limits off, pino silent`,
  );
  try {
    await bench(database);
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error('server bench failed:', error);
  process.exitCode = 1;
});
