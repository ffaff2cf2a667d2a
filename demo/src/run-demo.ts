/**
 * The demo from start to end: the demo project (made once), the production server in a child
 * process, the experiments (made once), simulated visitors through the SDK at a steady rate,
 * a status line every few seconds, and a clean stop.
 */
import { join } from 'node:path';
import { type AllocationEpoch, ApiError, type ExperimentView, projectApi } from './api-client.js';
import {
  DEMO_PROJECT_NAME,
  type DemoProject,
  ensureDemoProject,
  ensureExperiments,
} from './demo-project.js';
import { visitorRandom } from './random.js';
import { DEMO_EXPERIMENTS, type DemoExperiment } from './scenario.js';
import { type LogLine, type ServerSettings, startServer } from './server-process.js';
import { describeExperiments, statusLine, summary, type Tally } from './status.js';
import { startTraffic, type TrafficCounts } from './traffic.js';
import { browserFetch, simulateVisitor } from './visitor.js';

export interface DemoOptions extends ServerSettings {
  /** Visitors per second, > 0. */
  readonly rate: number;
  /** How long visitors come, in seconds (default: until `signal` aborts). */
  readonly durationSeconds?: number | undefined;
  /** Stop after this many visitors (default: no limit). */
  readonly maxVisitors?: number | undefined;
  /** Seeds every visitor's draws (conversions, engagement). */
  readonly seed: number;
  /** Begins every visitor ID: unique per run, so that a later run's visitors are new ones. */
  readonly runId: string;
  /** Milliseconds between two status lines (default 5,000). */
  readonly statusEveryMs?: number | undefined;
  /** The experiments (default: DEMO_EXPERIMENTS). */
  readonly experiments?: readonly DemoExperiment[] | undefined;
  /** Where the demo writes what a person reads, one line per call. */
  readonly print: (line: string) => void;
  /** Aborting stops the visitors, then the server (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
}

/** How the demo ended. */
export interface DemoResult {
  readonly url: string;
  readonly project: DemoProject;
  /** Whether the project was made by this run. */
  readonly projectCreated: boolean;
  /** What was done with each experiment at the start. */
  readonly setup: readonly { key: string; id: string; action: string }[];
  readonly traffic: TrafficCounts;
  /** Per experiment key, visitors and conversions per variant, as the simulation sent them. */
  readonly tallies: Readonly<Record<string, Tally>>;
  /** Per experiment key, each decision status the status lines saw, in order, without repeats. */
  readonly statusesSeen: Readonly<Record<string, string[]>>;
  /** The experiments as the API gave them last (after the decisions caught up, unless aborted). */
  readonly experiments: readonly ExperimentView[];
  /**
   * Per experiment key, its allocation versions with the visitors of each, read at the end
   * (empty when the demo was aborted).
   */
  readonly allocations: Readonly<Record<string, readonly AllocationEpoch[]>>;
}

/**
 * Runs the demo until the duration or visitor count is reached, or `signal` aborts, and always
 * stops the server before returning.
 * @throws Error when the server cannot start or stops by itself, when the project cannot be made,
 *   or when the saved project is not in the database (with how to start afresh).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const definitions = options.experiments ?? DEMO_EXPERIMENTS;
  const stateFile = join(options.dataDir, 'demo-project.json');
  const { project, created } = await ensureDemoProject(options, stateFile);
  // Emails before the banner are the first owner's invitation, whose link the banner shows.
  let relaying = false;
  const server = await startServer(options, (line) => {
    if (relaying) relayLog(line, print);
  });
  let stopping = false;
  const crashed = server.exited.then((code) => {
    if (!stopping && !options.signal?.aborted) {
      throw new Error(`the server stopped by itself (exit code ${code})`);
    }
  });
  crashed.catch(() => {}); // raced below; never unhandled
  try {
    const api = projectApi(server.url, project.projectId, project.apiKey);
    const ensured = await ensureExperiments(api, definitions).catch((err: unknown) => {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        throw new Error(
          `the demo project saved in ${stateFile} is not in this database: delete that file (or the whole data directory) and run again`,
        );
      }
      throw err;
    });
    const actions = [...new Set(ensured.map((e) => e.action))];
    print('');
    print('Vibariant demo');
    print(`  Dashboard    ${server.url}/projects/${project.projectId}`);
    print(
      server.signInLink
        ? `  Sign in      ${server.signInLink} (opens the project; the link works once)`
        : `  Sign in      at ${server.url}/sign-in with ${process.env.OWNER_EMAIL ?? 'owner@vibariant.localhost'} (without SMTP_URL the email is printed here)`,
    );
    print(
      `  Project      "${DEMO_PROJECT_NAME}" ${created ? 'created now' : 'reused'}, data in ${options.databaseUrl ? 'DATABASE_URL' : options.dataDir}`,
    );
    print(
      `  Experiments  ${actions.length === 1 ? `${ensured.length} ${actions[0]}` : ensured.map((e) => `${e.experiment.key} ${e.action}`).join(', ')}`,
    );
    print(
      `  Visitors     ${options.rate} a second through @vibariant/sdk, seed ${options.seed}, ${options.durationSeconds ? `for ${options.durationSeconds} s` : 'until Ctrl-C'}`,
    );
    print('  True conversion rates, and what the decisions should show:');
    for (const line of describeExperiments(definitions, options.banditIntervalSeconds)) {
      print(`    ${line}`);
    }
    print('');
    relaying = true;

    // Visitors counted before this run (an earlier run's), for knowing when decisions caught up.
    const before = Object.fromEntries(
      ensured.map((e) => [e.experiment.key, counted(e.experiment)]),
    );
    const tallies: Record<string, Tally> = {};
    for (const d of definitions) {
      tallies[d.key] = Object.fromEntries(
        d.variants.map((v) => [v.key, { visitors: 0, conversions: 0 }]),
      );
    }
    const context = {
      token: project.projectToken,
      apiHost: server.url,
      fetch: browserFetch(),
      experiments: definitions,
    };
    const traffic = startTraffic({
      rate: options.rate,
      durationMs:
        options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000,
      maxVisitors: options.maxVisitors,
      visit: async (index) => {
        const visit = await simulateVisitor(
          context,
          `${options.runId}-${index}`,
          visitorRandom(options.seed, index),
        );
        for (const [key, variant] of Object.entries(visit.variants)) {
          const counts = tallies[key]?.[variant];
          if (!counts) continue;
          counts.visitors++;
          if (visit.converted[key]) counts.conversions++;
        }
      },
    });
    const onAbort = () => void traffic.stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const statusesSeen: Record<string, string[]> = {};
    let latest: ExperimentView[] = ensured.map((e) => e.experiment);
    const poll = async () => {
      const listed = await api.listExperiments();
      latest = definitions.flatMap((d) => listed.filter((e) => e.key === d.key));
      for (const e of latest) {
        const seen = statusesSeen[e.key] ?? [];
        statusesSeen[e.key] = seen;
        if (e.decision && seen.at(-1) !== e.decision.status) seen.push(e.decision.status);
      }
      return latest;
    };
    const status = setInterval(() => {
      poll().then(
        (experiments) => print(statusLine(traffic.counts(), experiments, definitions)),
        (err: unknown) => {
          if (!options.signal?.aborted) print(`status unavailable: ${(err as Error).message}`);
        },
      );
    }, options.statusEveryMs ?? 5_000);
    try {
      await Promise.race([traffic.done, crashed]);
    } finally {
      clearInterval(status);
      options.signal?.removeEventListener('abort', onAbort);
      await traffic.stop();
    }
    const allocations: Record<string, AllocationEpoch[]> = {};
    if (!options.signal?.aborted) {
      await Promise.race([caughtUp(poll, tallies, before), crashed]);
      for (const e of latest) allocations[e.key] = await api.listAllocations(e.key);
      print(statusLine(traffic.counts(), latest, definitions));
      print('');
      for (const line of summary(latest, allocations)) print(line);
    }
    return {
      url: server.url,
      project,
      projectCreated: created,
      setup: ensured.map((e) => ({ key: e.experiment.key, id: e.experiment.id, action: e.action })),
      traffic: traffic.counts(),
      tallies,
      statusesSeen,
      experiments: latest,
      allocations,
    };
  } finally {
    stopping = true;
    print('Stopping the server…');
    await server.stop();
  }
}

/** Visitors the experiment's latest decision counts. */
const counted = (e: ExperimentView): number =>
  (e.decision?.variants ?? []).reduce((n, v) => n + v.visitors, 0);

/**
 * Polls until every running experiment's decision counts the visitors the simulation sent it
 * on top of those counted `before` (decisions are recomputed shortly after each batch), for at
 * most 20 s.
 */
async function caughtUp(
  poll: () => Promise<ExperimentView[]>,
  tallies: Record<string, Tally>,
  before: Record<string, number>,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const experiments = await poll();
    const done = experiments.every((e) => {
      const sent = Object.values(tallies[e.key] ?? {}).reduce((n, v) => n + v.visitors, 0);
      return e.status !== 'running' || counted(e) >= (before[e.key] ?? 0) + sent;
    });
    if (done) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Shows the server's warnings and errors, and the emails it prints in place of sending them. */
function relayLog(line: LogLine, print: (line: string) => void): void {
  if (typeof line.text === 'string' && typeof line.subject === 'string') {
    print(`Email to ${String(line.to)} (not sent: no SMTP_URL): ${line.subject}`);
    for (const text of line.text.split('\n')) if (text.trim()) print(`  ${text}`);
  } else if (line.level >= 40) {
    print(`server: ${line.msg}${line.err ? ` (${JSON.stringify(line.err)})` : ''}`);
  }
}
