/**
 * The decision quantities computed the way common A/B testing tools do: draw N values from
 * every posterior, count how often each variant is the largest (P(best)), average
 * max - theta_i (expected loss), and take the shortest window holding 95% of the sorted
 * leader-minus-other draws (HDI). Used by the benchmark as the baseline to beat.
 */
import { createRandom } from '../src/random.js';
import type { BetaParams } from '../src/types.js';

export interface MonteCarloDecision {
  readonly pBest: number[];
  readonly expectedLoss: number[];
  /** HDI of theta_leader - theta_i for every i (the leader's own entry is [0, 0]). */
  readonly hdi95: [number, number][];
}

/** Shortest interval holding `mass` of sorted samples. */
function shortestInterval(sorted: Float64Array, mass: number): [number, number] {
  const width = Math.ceil(mass * sorted.length);
  let best: [number, number] = [sorted[0]!, sorted[width - 1]!];
  for (let i = 1; i + width - 1 < sorted.length; i++) {
    if (sorted[i + width - 1]! - sorted[i]! < best[1] - best[0])
      best = [sorted[i]!, sorted[i + width - 1]!];
  }
  return best;
}

export function monteCarloDecision(
  posteriors: readonly BetaParams[],
  draws: number,
  seed: number,
): MonteCarloDecision {
  const random = createRandom(seed);
  const K = posteriors.length;
  const samples = posteriors.map((p) => {
    const column = new Float64Array(draws);
    for (let s = 0; s < draws; s++) column[s] = random.beta(p.alpha, p.beta);
    return column;
  });
  const wins = new Array<number>(K).fill(0);
  const lossSum = new Array<number>(K).fill(0);
  for (let s = 0; s < draws; s++) {
    let top = 0;
    for (let i = 1; i < K; i++) if (samples[i]![s]! > samples[top]![s]!) top = i;
    wins[top]!++;
    const max = samples[top]![s]!;
    for (let i = 0; i < K; i++) lossSum[i]! += max - samples[i]![s]!;
  }
  const expectedLoss = lossSum.map((l) => l / draws);
  const leader = expectedLoss.indexOf(Math.min(...expectedLoss));
  const hdi95 = posteriors.map((_, i): [number, number] => {
    if (i === leader) return [0, 0];
    const diff = new Float64Array(draws);
    for (let s = 0; s < draws; s++) diff[s] = samples[leader]![s]! - samples[i]![s]!;
    diff.sort();
    return shortestInterval(diff, 0.95);
  });
  return { pBest: wins.map((w) => w / draws), expectedLoss, hdi95 };
}
