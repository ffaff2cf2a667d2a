/**
 * The demo end to end, as `npm run demo` runs it: the built server in a child process on a
 * temporary embedded database, the project made with the server's command line, the
 * experiments through the API, and seeded visitors through the SDK at a high rate. Checks
 * that every visitor is counted exactly as the simulation sent it, that each experiment
 * reaches the decision the demo promises, that the bandit moved traffic, and that a second run
 * reuses the project and the experiments.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, onTestFailed } from 'vitest';
import type { ExperimentView } from '../src/api-client.js';
import { type DemoResult, runDemo } from '../src/run-demo.js';
import { DEMO_EXPERIMENTS } from '../src/scenario.js';
import { repositoryRoot } from '../src/server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'vibariant-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A TCP port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const settings = async () => ({
  root: repositoryRoot(import.meta.dirname),
  host: '127.0.0.1',
  port: await freePort(),
  dataDir,
  banditIntervalSeconds: 3,
  statusEveryMs: 1_000,
});

/**
 * Visitors of the first run, and their seed. The outcomes below depend on the counts only
 * (the bandit's split aside), which the seed fixes: with the engine's rule, 89 seeds of 1 to 100
 * give all three decisions at 1,200 visitors (the button colours' equivalence is the slowest);
 * seed 7 is one of them.
 */
const VISITORS = 1_200;
const SEED = 7;

let first: DemoResult;
const printed: string[] = [];

const byKey = (result: DemoResult, key: string): ExperimentView => {
  const experiment = result.experiments.find((e) => e.key === key);
  if (!experiment) throw new Error(`no experiment ${key}`);
  return experiment;
};

it('reaches each promised decision from seeded visitors sent through the SDK', async () => {
  onTestFailed(() => console.log(printed.join('\n')));
  const started = performance.now();
  first = await runDemo({
    ...(await settings()),
    rate: 200,
    maxVisitors: VISITORS,
    seed: SEED,
    runId: 'run1',
    print: (line) => printed.push(line),
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`first run: ${VISITORS} visitors in ${seconds.toFixed(1)} s`);

  expect(first.projectCreated).toBe(true);
  expect(first.setup.map((s) => s.action)).toEqual(DEMO_EXPERIMENTS.map(() => 'created'));
  expect(first.traffic).toMatchObject({ started: VISITORS, finished: VISITORS, failed: 0 });
  expect(printed.join('\n')).toContain(`${first.url}/projects/${first.project.projectId}`);
  expect(printed.join('\n')).toMatch(/Sign in .*\/auth\/magic-link\/verify\?token=/);

  // Every visitor and conversion the simulation sent is counted once, in its variant.
  for (const definition of DEMO_EXPERIMENTS) {
    const decision = byKey(first, definition.key).decision;
    const counted = Object.fromEntries(
      (decision?.variants ?? []).map((v) => [
        v.key,
        { visitors: v.visitors, conversions: v.conversions },
      ]),
    );
    expect(counted, definition.key).toEqual(first.tallies[definition.key]);
  }
  const onPricing = Object.values(first.tallies['pricing-page'] ?? {}).reduce(
    (n, v) => n + v.visitors,
    0,
  );
  expect(onPricing / VISITORS).toBeGreaterThan(0.35);
  expect(onPricing / VISITORS).toBeLessThan(0.45);

  // The big effect ships the better headline; equal buttons are practically equivalent; the
  // small pricing difference keeps testing.
  const hero = byKey(first, 'hero-headline').decision;
  expect(hero).toMatchObject({ status: 'ready_to_ship', leader: 'benefit' });
  expect(first.statusesSeen['hero-headline']).toContain('ready_to_ship');
  expect(byKey(first, 'button-colour').decision?.status).toBe('practically_equivalent');
  const pricing = byKey(first, 'pricing-page').decision;
  expect(pricing?.status).toBe('keep_testing');
  expect(pricing?.recommendation).toMatch(/more visitors|not settle/i);

  // The bandit moved new visitors off the weakest arm to the two contenders, and they
  // followed: the SDK assigned each under the allocation it fetched (every visitor is in an
  // allocation version from 1 on; version 0 would be equal weights without a configuration).
  const offer = byKey(first, 'signup-offer');
  expect(offer.allocation.version).toBeGreaterThan(1);
  const [none = 1, ebook = 0, discount = 0] = offer.allocation.weights;
  expect(none).toBeLessThan(0.25);
  expect(ebook).toBeGreaterThan(1 / 3);
  expect(discount).toBeGreaterThan(1 / 3);
  const epochs = first.allocations['signup-offer'] ?? [];
  expect(epochs.reduce((n, e) => n + e.visitors, 0)).toBe(
    Object.values(first.tallies['signup-offer'] ?? {}).reduce((n, v) => n + v.visitors, 0),
  );
  const later = epochs.filter((e) => e.version > 1);
  const laterVisitors = later.reduce((n, e) => n + e.visitors, 0);
  const laterNone = later.reduce((n, e) => n + (e.variants[0]?.visitors ?? 0), 0);
  expect(laterVisitors).toBeGreaterThan(300);
  expect(laterNone / laterVisitors).toBeLessThan(0.25);
});

it('reuses the project and its experiments on a second run', async () => {
  const lines: string[] = [];
  onTestFailed(() => console.log(lines.join('\n')));
  const second = await runDemo({
    ...(await settings()),
    rate: 50,
    maxVisitors: 20,
    seed: SEED,
    runId: 'run2',
    print: (line) => lines.push(line),
  });
  expect(second.projectCreated).toBe(false);
  expect(second.project).toEqual(first.project);
  expect(second.setup).toEqual(first.setup.map((s) => ({ ...s, action: 'reused' })));
  const saved = JSON.parse(readFileSync(join(dataDir, 'demo-project.json'), 'utf8'));
  expect(saved.projectId).toBe(first.project.projectId);
  // The new visitors are new people (another run ID): counted on top of the first run's.
  const visitors = (r: DemoResult) =>
    (byKey(r, 'hero-headline').decision?.variants ?? []).reduce((n, v) => n + v.visitors, 0);
  expect(visitors(second)).toBe(visitors(first) + 20);
});
