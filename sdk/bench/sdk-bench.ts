/**
 * `npm run bench -w sdk`: the SDK's bundle sizes beside GrowthBook's, bundled the same way in
 * the same run (esbuild, minified, for the browser, gzipped), and `getVariant` calls per second
 * beside GrowthBook's `run` and the bare hash. Needs the build (`tsup`, which the script runs).
 * Its key results, against GrowthBook, also go to the summary of `npm run bench`
 * (bench/results.ts).
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GrowthBook } from '@growthbook/growthbook';
import { build } from 'esbuild';
import { recordMeasure } from '../../bench/results.js';
import { chooseVariant, createVibariant, hashUnit, memoryStorage } from '../src/index.js';

/** The package's folder, where npm runs the script. */
const SDK_DIR = process.cwd();
const dist = (file: string) => JSON.stringify(join(SDK_DIR, 'dist', file));

/** Gzipped bytes of `source` bundled for the browser, minified, with `external` left out. */
async function gzippedBytes(source: string, external: string[] = []): Promise<number> {
  const result = await build({
    stdin: { contents: source, resolveDir: SDK_DIR, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external,
    write: false,
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array(), { level: 9 }).length;
}

/** Calls of `call` per second: the median of 5 rounds of `n` calls, after a warm-up round. */
function opsPerSecond(call: (i: number) => unknown, n: number): number {
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) call(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (round > 0) rounds.push(n / seconds);
  }
  return rounds.sort((a, b) => a - b)[2] as number;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;
const format = (n: number) => Math.round(n).toLocaleString('en-US');

async function sizes(): Promise<void> {
  const growthbook = await gzippedBytes("export { GrowthBook } from '@growthbook/growthbook';");
  const ours: [string, string, string[]?][] = [
    ['core (createVibariant)', `export { createVibariant } from ${dist('index.js')};`],
    [
      'core + auto-tracking + goals',
      `export { createVibariant } from ${dist('index.js')};
       export { autotrack } from ${dist('autotrack.js')};
       export { detectGoals } from ${dist('goals.js')};`,
    ],
    [
      'React binding (React excluded)',
      `export { VibariantProvider, useVariant, useTrack } from ${dist('react.js')};`,
      ['react'],
    ],
    ['script tag (core, auto-tracking, goals)', `import ${dist('vibariant.global.js')};`],
  ];
  console.log('\nBundle sizes: esbuild, minified, browser, gzip -9 (this run)\n');
  console.log('| bundle | gzipped | ratio to GrowthBook |');
  console.log('|---|---|---|');
  console.log(`| @growthbook/growthbook (GrowthBook class), baseline | ${kb(growthbook)} | 1.00 |`);
  for (const [name, source, external] of ours) {
    const bytes = await gzippedBytes(source, external);
    console.log(`| @vibariant/sdk ${name} | ${kb(bytes)} | ${(bytes / growthbook).toFixed(2)} |`);
    recordMeasure({
      benchmark: 'SDK bundle',
      measure: `${name}, gzipped`,
      unit: 'KB',
      ours: bytes / 1024,
      baseline: growthbook / 1024,
      baselineName: 'GrowthBook class',
      better: 'lower',
    });
  }
}

function throughput(): void {
  const n = 1_000_000;
  const variants = ['control', 'bold'];
  const never = () => new Promise<Response>(() => {});
  const vb = createVibariant({
    token: 'vv_proj_bench',
    apiHost: 'https://ab.example',
    storage: memoryStorage(),
    fetch: never,
    consent: false,
  });
  const gb = new GrowthBook({ attributes: { id: 'visitor-1' }, trackingCallback: () => {} });
  const experiment = { key: 'hero', variations: ['control', 'bold'] as [string, string] };
  const weights = [0.5, 0.5];

  const keys = Array.from({ length: 1000 }, (_, i) => `exp-${i}`);
  const bare = opsPerSecond((i) => chooseVariant(hashUnit(`v-${i & 1023}`, 'hero'), weights), n);
  const stored = opsPerSecond(() => vb.getVariant('hero', variants), n);
  const inTurn = opsPerSecond((i) => vb.getVariant(keys[i % 1000] as string, variants), n);
  const growthbook = opsPerSecond(() => gb.run(experiment), n);
  const results: [string, number][] = [
    ['hashUnit + chooseVariant (the bare assignment), baseline', bare],
    ['@vibariant/sdk getVariant (stored assignment)', stored],
    ['@vibariant/sdk getVariant, 1,000 experiments in turn', inTurn],
    ['@growthbook/growthbook run({ key, variations })', growthbook],
  ];
  gb.destroy();
  for (const [measure, ops] of [
    ['getVariant, stored assignment', stored],
    ['getVariant, 1,000 experiments in turn', inTurn],
  ] as const) {
    recordMeasure({
      benchmark: 'SDK assignment',
      measure,
      unit: 'calls/s',
      ours: ops,
      baseline: growthbook,
      baselineName: 'GrowthBook run()',
      better: 'higher',
    });
  }

  console.log(`\nAssignment calls per second, one core, median of 5 rounds of ${format(n)}\n`);
  console.log('| call | calls/s | ratio to the bare assignment |');
  console.log('|---|---|---|');
  for (const [name, ops] of results) {
    console.log(`| ${name} | ${format(ops)} | ${(ops / bare).toFixed(2)} |`);
  }
}

await sizes();
throughput();
