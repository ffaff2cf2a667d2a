import { assertInRange, StatsInputError } from './errors.js';
import type { BanditMode } from './types.js';

/**
 * Throws unless p is an array of at least 2 probabilities summing to 1 (within 1e-6).
 * @throws StatsInputError naming `<field>` or `<field>[i]`.
 */
function assertProbabilityVector(p: unknown, field: string): asserts p is number[] {
  if (!Array.isArray(p) || p.length < 2) {
    throw new StatsInputError(field, 'must be an array of at least 2 probabilities');
  }
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    assertInRange(p[i], `${field}[${i}]`, 0, 1);
    sum += p[i];
  }
  if (Math.abs(sum - 1) > 1e-6) throw new StatsInputError(field, `must sum to 1, got ${sum}`);
}

/** Top-two sampling's probability of playing the leader's candidate (Russo 2016 suggests 1/2). */
const TOP_TWO_BETA = 0.5;

/**
 * Top-Two Thompson sampling weights from the probability-to-be-best vector p (STATS.md
 * section 8): w_i = beta p_i + (1 - beta) p_i sum_{j != i} p_j / (1 - p_j), with beta = 1/2.
 * 1 - p_j is computed as the sum of the other p's, so the weights still sum to 1 when a p is
 * close to 1; terms with p_j = 1 are dropped, and if some p_j is 1 the other arms share
 * (1 - beta) equally. For two arms the result is always [1/2, 1/2].
 *
 * Source: Russo (2016), "Simple Bayesian algorithms for best-arm identification", COLT /
 * Operations Research 68(6), section 3 (top-two probability sampling).
 *
 * @param p P(best) per variant, non-negative, summing to 1. O(K^2).
 * @throws StatsInputError (field `pBest`) unless p holds K >= 2 probabilities summing to 1.
 */
export function topTwoThompsonWeights(p: readonly number[]): number[] {
  assertProbabilityVector(p, 'pBest');
  const K = p.length;
  const rest = p.map((_, j) => p.reduce((sum, pk, k) => (k === j ? sum : sum + pk), 0));
  // A rest below 1e-15 is zero at the precision P(best) is computed with (and would overflow
  // p_j / (1 - p_j)).
  const certain = rest.findIndex((r) => r < 1e-15);
  if (certain >= 0) {
    return p.map((_, i) => (i === certain ? TOP_TWO_BETA : (1 - TOP_TWO_BETA) / (K - 1)));
  }
  return p.map((pi, i) => {
    let challengers = 0;
    for (let j = 0; j < K; j++) if (j !== i) challengers += p[j]! / rest[j]!;
    return TOP_TWO_BETA * pi + (1 - TOP_TWO_BETA) * pi * challengers;
  });
}

/**
 * Share of new traffic per variant under a bandit mode, each at least the exploration floor
 * f = min(0.10, 1/K): final_i = f + (1 - K f) w_i (STATS.md section 8), where w is
 * - `top-two`: Top-Two Thompson sampling weights (fastest identification of the best arm),
 * - `thompson`: P(best) itself (Thompson 1933, probability matching: earns more during the
 *   test, learns more slowly),
 * - `off`: equal weights 1/K.
 * Visitors already assigned keep their variant; this only steers new visitors.
 *
 * @param pBest P(best) per variant, summing to 1.
 * @returns shares summing to 1 (up to rounding), each >= f. O(K^2).
 * @throws StatsInputError (field `bandit`) for an unknown mode, `pBest` unless it holds K >= 2
 *   probabilities summing to 1.
 */
export function allocateTraffic(pBest: readonly number[], mode: BanditMode): number[] {
  assertProbabilityVector(pBest, 'pBest');
  const K = pBest.length;
  const floor = Math.min(0.1, 1 / K);
  let weights: number[];
  if (mode === 'top-two') weights = topTwoThompsonWeights(pBest);
  else if (mode === 'thompson') weights = [...pBest];
  else if (mode === 'off') weights = pBest.map(() => 1 / K);
  else
    throw new StatsInputError(
      'bandit',
      `must be 'top-two', 'thompson' or 'off', got ${String(mode)}`,
    );
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => floor + (1 - K * floor) * (w / sum));
}
