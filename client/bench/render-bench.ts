/**
 * `npm run bench -w client`: the dashboard's weight and speed, measured on its production build.
 * - The gzipped size of what the first page load fetches (the entry script, the scripts it
 *   preloads, the stylesheet); the planner's engine is loaded later, on its own screen.
 * - The time from navigation to an experiment page with every variant row and the four charts
 *   drawn, in headless chromium against a running server: 10 variants and 1,000 decision
 *   snapshots, beside a baseline of 2 variants and 10 snapshots measured in the same run;
 *   skipped, with the reason, when there is no chromium (CHROMIUM_PATH, else /usr/bin/chromium).
 * Its key results also go to the summary of `npm run bench` (bench/results.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decide } from '@vibariant/stats';
import { chromium } from 'playwright-core';
import { recordMeasure, recordSkip } from '../../bench/results.js';
import { createProject, signIn } from '../../e2e/support/dashboard.js';
import { startServerWithMail } from '../../server/test/support/server-with-mail.js';

const CLIENT_DIR = join(import.meta.dirname, '..');
const DIST = join(CLIENT_DIR, 'dist');
const ROUNDS = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BENCHMARK = 'dashboard';
const TARGET_JS_KB = 100;

/** Gzipped bytes of the first load's scripts and stylesheets, from the built index.html. */
function initialSizes(): { js: number; css: number } {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  const gz = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
  return {
    js: files.filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0),
    css: files.filter((f) => f.endsWith('.css')).reduce((n, f) => n + gz(f), 0),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function renderTimes(): Promise<{ big: number; small: number }> {
  const env = await startServerWithMail({ publicUrl: 'http://vibariant.test', now: Date.now });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Sign in as a person does, and make a project.
    await signIn(env, page, 'bench@example.com');
    const { projectId, token } = await createProject(page, 'Bench');

    /** An experiment of `k` variants with visitors and `snapshots` stored decisions. */
    const experiment = async (key: string, k: number, snapshots: number) => {
      const variants = Array.from({ length: k }, (_, i) => `v${i}`);
      const events: unknown[] = [];
      for (let i = 0; i < k * 30; i++) {
        const visitorId = `${key}-${i}`;
        events.push({
          type: 'exposure',
          id: `x-${visitorId}`,
          visitorId,
          experiment: key,
          variant: variants[i % k],
          variants,
        });
        if (i % 7 === 0)
          events.push({ type: 'conversion', id: `c-${visitorId}`, visitorId, goal: 'signup' });
      }
      await env.server.ingest(token, events);
      const { id } = (await env.server.services.experimentStore.findByKey(projectId, key)) as {
        id: string;
      };
      const rows = Array.from({ length: snapshots }, (_, s) => {
        const decision = decide({
          variants: variants.map((v, i) => ({
            key: v,
            visitors: 10 + s,
            conversions: Math.floor((s * (i + 1)) / 40),
          })),
          projection: false,
        });
        return {
          experiment_id: id,
          goal_key: 'signup',
          status: decision.status,
          decision: JSON.stringify(decision),
          taken_at: new Date(Date.now() - (snapshots - s) * 60_000),
        };
      });
      for (let i = 0; i < rows.length; i += 100) {
        await env.server.db.knex('decision_snapshots').insert(rows.slice(i, i + 100));
      }
      return `${env.server.url}/projects/${projectId}/experiments/${key}`;
    };
    const bigUrl = await experiment('ten-variants', 10, 1000);
    const smallUrl = await experiment('two-variants', 2, 10);

    const time = async (url: string, rows: number) => {
      await page.goto('about:blank');
      const start = performance.now();
      await page.goto(url);
      await page.waitForFunction(
        (n) =>
          document.querySelectorAll('table[aria-label="Variants"] tbody tr').length === n &&
          document.querySelectorAll('.u-over').length >= 4,
        rows,
        { timeout: 60_000 },
      );
      return performance.now() - start;
    };
    await time(smallUrl, 2); // warm-up: caches, JIT
    const big: number[] = [];
    const small: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      small.push(await time(smallUrl, 2));
      big.push(await time(bigUrl, 10));
    }
    return { big: median(big), small: median(small) };
  } finally {
    await browser.close();
    await env.close();
  }
}

execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: CLIENT_DIR, stdio: 'inherit' });
const sizes = initialSizes();
console.log('\nDashboard: first page load, gzip -9 (target: JavaScript under 100 KB)\n');
console.log('| part | gzipped |');
console.log('|---|---|');
console.log(
  `| JavaScript (entry and preloads, charts included) | ${(sizes.js / 1024).toFixed(1)} KB |`,
);
console.log(`| CSS | ${(sizes.css / 1024).toFixed(1)} KB |`);
recordMeasure({
  benchmark: BENCHMARK,
  measure: 'first load JavaScript, gzipped',
  unit: 'KB',
  ours: sizes.js / 1024,
  better: 'lower',
  target: `< ${TARGET_JS_KB} KB`,
  met: sizes.js / 1024 < TARGET_JS_KB,
});

const renderMeasure = 'experiment page drawn, 10 variants, 1,000 snapshots';
if (existsSync(CHROMIUM)) {
  const times = await renderTimes();
  console.log(`\nExperiment page in headless chromium, navigation to drawn, median of ${ROUNDS}\n`);
  console.log('| page | ms | ratio to the baseline |');
  console.log('|---|---|---|');
  console.log(`| 2 variants, 10 snapshots (baseline) | ${times.small.toFixed(0)} | 1.00 |`);
  console.log(
    `| 10 variants, 1,000 snapshots | ${times.big.toFixed(0)} | ${(times.big / times.small).toFixed(2)} |`,
  );
  recordMeasure({
    benchmark: BENCHMARK,
    measure: renderMeasure,
    unit: 'ms',
    ours: times.big,
    baseline: times.small,
    baselineName: '2 variants, 10 snapshots',
    better: 'lower',
  });
} else {
  const why = `no chromium at ${CHROMIUM} (set CHROMIUM_PATH)`;
  console.log(`\nExperiment page render skipped: ${why}`);
  recordSkip(BENCHMARK, renderMeasure, why);
}
process.exit(0);
