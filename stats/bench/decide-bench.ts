/**
 * Benchmark of the stats engine (`npm run bench -w stats`). Prints; never fails.
 *
 * 1. Microseconds per full decision (decide without the projection) for K = 2, 5 and 10, next to
 *    the same quantities by Monte Carlo with 10,000 and 100,000 Beta draws per arm, all measured
 *    in this run, with the absolute error of each against a high-precision reference
 *    (adaptive Gauss-Kronrod quadrature, from the tests).
 * 2. The projection's cost (keep_testing decisions only).
 * 3. The planner's decision quality with the default thresholds.
 *
 * Its key results also go to the summary of `npm run bench` (bench/results.ts).
 */

import { recordMeasure } from '../../bench/results.js';
import { decide } from '../src/decide.js';
import { plan } from '../src/planner.js';
import { referenceBestArm } from '../test/reference/best-arm-reference.js';
import { referenceDifferenceHdi } from '../test/reference/difference-reference.js';
import { monteCarloDecision } from './monte-carlo-decision.js';

/** Median over rounds of the mean time per call, in microseconds. */
function timeIt(run: () => void, minMillis = 300, rounds = 5): number {
  for (let i = 0; i < 200; i++) run();
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      run();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMillis / rounds);
    perRound.push((elapsed * 1000) / calls);
  }
  return perRound.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

/** Microseconds per full decision the engine should stay within, by K. */
const TARGET_MICROS: Record<number, number> = { 2: 20, 5: 200 };

const scenarios = [
  { K: 2, visitors: 100, rates: [0.03, 0.05] },
  { K: 5, visitors: 400, rates: [0.03, 0.035, 0.04, 0.045, 0.05] },
  {
    K: 10,
    visitors: 1000,
    rates: [0.05, 0.052, 0.054, 0.056, 0.058, 0.06, 0.062, 0.064, 0.066, 0.068],
  },
];

const format = (x: number, digits = 1) => x.toFixed(digits).padStart(9);
const sci = (x: number) => x.toExponential(1).padStart(9);

console.log(
  '\n== Full decision: engine vs Monte Carlo (max absolute error vs high-precision reference) ==',
);
console.log(
  `${'K'.padStart(3)} ${'method'.padEnd(16)} ${'us/decision'.padStart(11)} ${'vs engine'.padStart(9)} ${'err P(best)'.padStart(11)} ${'err loss'.padStart(9)} ${'err HDI'.padStart(9)}`,
);
const scenarioVariants = scenarios.map((s) =>
  s.rates.map((rate, i) => ({
    key: `v${i}`,
    visitors: s.visitors,
    conversions: Math.round(rate * s.visitors),
  })),
);
// Warm every scenario up first, so the JIT has seen all of them before any is timed.
for (let round = 0; round < 2000; round++) {
  for (const variants of scenarioVariants) decide({ variants, projection: false });
}
for (const [index, s] of scenarios.entries()) {
  const variants = scenarioVariants[index]!;
  const engineMicros = timeIt(() => decide({ variants, projection: false }), 2000, 9);
  const decision = decide({ variants, projection: false });
  const posteriors = decision.variants.map((v) => v.posterior);
  const reference = referenceBestArm(posteriors);
  const leader = decision.variants.findIndex((v) => v.key === decision.leader);
  const referenceHdi = posteriors.map((p, i) =>
    i === leader
      ? ([0, 0] as [number, number])
      : referenceDifferenceHdi(posteriors[leader]!, p).interval,
  );
  const maxError = (values: number[], truth: number[]) =>
    Math.max(...values.map((v, i) => Math.abs(v - truth[i]!)));
  const hdiError = (intervals: [number, number][]) =>
    Math.max(
      ...intervals.map((h, i) =>
        Math.max(Math.abs(h[0] - referenceHdi[i]![0]), Math.abs(h[1] - referenceHdi[i]![1])),
      ),
    );

  const engineHdi = posteriors.map((_, i): [number, number] => {
    if (i === leader) return [0, 0];
    return decision.differences.find((d) => d.vs === decision.variants[i]!.key)!.hdi95;
  });
  console.log(
    `${String(s.K).padStart(3)} ${'engine'.padEnd(16)} ${format(engineMicros).padStart(11)} ${'1.0x'.padStart(9)} ${sci(
      maxError(
        decision.variants.map((v) => v.pBest),
        reference.probabilityToBeBest,
      ),
    ).padStart(11)} ${sci(
      maxError(
        decision.variants.map((v) => v.expectedLoss),
        reference.expectedLoss,
      ),
    )} ${sci(hdiError(engineHdi))}`,
  );
  for (const draws of [10_000, 100_000]) {
    let seed = 1;
    const micros = timeIt(() => monteCarloDecision(posteriors, draws, seed++), 600, 3);
    const mc = monteCarloDecision(posteriors, draws, 12345);
    console.log(
      `${String(s.K).padStart(3)} ${`Monte Carlo ${draws / 1000}k`.padEnd(16)} ${format(micros).padStart(11)} ${`${(micros / engineMicros).toFixed(0)}x`.padStart(9)} ${sci(maxError(mc.pBest, reference.probabilityToBeBest)).padStart(11)} ${sci(maxError(mc.expectedLoss, reference.expectedLoss))} ${sci(hdiError(mc.hdi95))}`,
    );
    if (draws === 10_000) {
      const baselineName = 'Monte Carlo, 10,000 draws';
      const target = TARGET_MICROS[s.K];
      recordMeasure({
        benchmark: 'stats engine',
        measure: `full decision, K = ${s.K}`,
        unit: 'us',
        ours: engineMicros,
        baseline: micros,
        baselineName,
        better: 'lower',
        ...(target === undefined ? {} : { target: `< ${target} us`, met: engineMicros < target }),
      });
      recordMeasure({
        benchmark: 'stats engine',
        measure: `P(best) max error, K = ${s.K}`,
        unit: '',
        ours: maxError(
          decision.variants.map((v) => v.pBest),
          reference.probabilityToBeBest,
        ),
        baseline: maxError(mc.pBest, reference.probabilityToBeBest),
        baselineName,
        better: 'lower',
      });
    }
  }
}
console.log(
  'Targets: K = 2 within 20 us, K = 5 within 200 us; "vs engine" is Monte Carlo time / engine time.',
);

console.log('\n== Projection of the visitors still needed (keep_testing only) ==');
for (const visitors of [100, 1000]) {
  const variants = [
    { key: 'a', visitors, conversions: Math.round(visitors * 0.03) },
    { key: 'b', visitors, conversions: Math.round(visitors * 0.035) },
  ];
  const d = decide({ variants });
  const micros = timeIt(() => decide({ variants }), 2000, 3);
  console.log(
    `  ${visitors} visitors/variant, 3% vs 3.5%: ${(micros / 1000).toFixed(1)} ms per decision with projection (${d.status}, about ${d.projection?.additionalVisitorsPerVariant ?? 'n/a'} more per variant)`,
  );
}

/**
 * Visitors per variant a fixed-horizon two-proportion z-test needs to tell `p1` from `p2`
 * (two-sided alpha 0.05, power 0.8).
 */
function fixedHorizonVisitors(p1: number, p2: number): number {
  const zAlpha = 1.959964;
  const zBeta = 0.841621;
  return Math.ceil(((zAlpha + zBeta) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2))) / (p1 - p2) ** 2);
}

console.log(
  '\n== Planner: continuous monitoring, a decision every 10 visitors per variant, default thresholds ==',
);
console.log(
  `${'true rates'.padEnd(14)} ${'median'.padStart(8)} ${'p75'.padStart(8)} ${'ship'.padStart(6)} ${'equiv'.padStart(6)} ${'undecided'.padStart(9)} ${'wrong ship'.padStart(10)} ${'seconds'.padStart(8)}`,
);
for (const [base, lift, label] of [
  [0.03, 1, '3% vs 6%'],
  [0.03, 0, '3% vs 3% (A/A)'],
  [0.1, 0.2, '10% vs 12%'],
  [0.2, 0.5, '20% vs 30%'],
] as const) {
  const start = performance.now();
  // 1,000 simulated experiments (300 for the slow A/A case): about 1% standard error on a share.
  const p = plan({
    baseRate: base,
    lift,
    visitorsPerDay: 100,
    simulations: lift === 0 ? 300 : 1000,
    maxVisitorsPerVariant: 10_000,
  });
  const seconds = (performance.now() - start) / 1000;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const median = p.visitorsPerVariant.median;
  if (label === '3% vs 6%' && median !== null) {
    recordMeasure({
      benchmark: 'stats planner',
      measure: `median visitors per variant to a decision, ${label}`,
      unit: '',
      ours: median,
      baseline: fixedHorizonVisitors(base, base * (1 + lift)),
      baselineName: 'fixed-horizon test, alpha 0.05, power 0.8',
      better: 'lower',
    });
  }
  console.log(
    `${label.padEnd(14)} ${String(p.visitorsPerVariant.median ?? '>10000').padStart(8)} ${String(p.visitorsPerVariant.p75 ?? '>10000').padStart(8)} ${pct(p.shares.readyToShip).padStart(6)} ${pct(p.shares.practicallyEquivalent).padStart(6)} ${pct(p.shares.undecided).padStart(9)} ${pct(p.wrongShipRate).padStart(10)} ${seconds.toFixed(1).padStart(8)}`,
  );
}
console.log(
  `Visitors per variant to a decision over 1,000 simulated experiments (300 for A/A), capped at 10,000. For reference, a fixed-horizon two-proportion test needs about ${fixedHorizonVisitors(0.03, 0.06)} per variant for 3% vs 6% (alpha 0.05, power 0.8).`,
);
