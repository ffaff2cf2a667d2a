/**
 * Probability that each of K independent normal variables is the largest.
 */
import { assertFinite, StatsInputError } from '../errors.js';
import { gaussLegendre } from '../gauss-legendre.js';
import { normalCdf } from '../jstat-adapter.js';

/** Half-width of each variant's integration window, in its standard errors (tail < 2e-19). */
const WINDOW_SDS = 9;
/** Widest panel inside a window, in units of the narrowest standard error covering it. */
const PANEL_SDS = 2;
/** Gauss-Legendre nodes per panel. */
const NODES = 10;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * P(best)_i = P(V_i > V_j for all j != i) for independent V_i ~ Normal(means[i],
 * standardErrors[i]^2); a standard error of 0 makes V_i a point mass at means[i].
 *
 * Definition (STATS.md section 4 with normal densities):
 *   P(best)_i = integral phi_i(x) prod_{j != i} Phi_j(x) dx,
 * where phi_i and Phi_j are the normal density and CDF (Phi from `normalCdf`, jstat's erfc).
 *
 * Method: composite Gauss-Legendre quadrature (10 nodes per panel, `gaussLegendre`). Each
 * variant with se_i > 0 owns a window mean_i +/- 9 se_i (mass outside < 2e-19); the union of the
 * windows is cut at every window end, and each piece is divided into panels no wider than 2 x the
 * smallest standard error among the windows covering it, so every density and CDF is resolved on
 * its own scale and there are at most about 10 panels per window end, whatever the ratio of the
 * standard errors (absolute error about 1e-13 against the two-variant closed form for
 * standard-error ratios up to 1e6, far below the 1e-6 target; the tests check 1e-9).
 * Point masses are handled exactly: with M the largest point-mass location, the continuous
 * variants integrate over x > M only, each point mass at M gets prod_{continuous j} Phi_j(M)
 * shared equally with the other point masses at M, and point masses below M get 0.
 * Results are normalised to sum to 1. When every (mean, se) pair is identical each variant gets
 * exactly 1/K. The computation runs on means and standard errors shifted and scaled into
 * [-1, 1] (P(best) is invariant to both); a standard error below 1e-8 of its mean's distance
 * from the midpoint of the means, a width that node positions in double precision cannot
 * resolve, is treated as 0 (a point mass).
 *
 * Example: means [0, 1], standard errors [1, 1] -> [Phi(-1/sqrt 2), Phi(1/sqrt 2)]
 * = [0.2398, 0.7602].
 *
 * Complexity: O(K^2): at most about 10 nodes x 20 K panels x K CDF evaluations (measured
 * here: about 35 us for K = 2 and 125 us for K = 5 on one core); O(K) memory.
 *
 * @throws StatsInputError (`means`, `standardErrors`, `means[i]`, `standardErrors[i]`) when
 *   fewer than 2 variants are given, the lengths differ, a value is not finite, or a standard
 *   error is negative.
 */
export function normalProbabilityBest(
  means: readonly number[],
  standardErrors: readonly number[],
): number[] {
  if (!Array.isArray(means) || means.length < 2) {
    throw new StatsInputError('means', 'must hold at least 2 variants');
  }
  const k = means.length;
  if (!Array.isArray(standardErrors) || standardErrors.length !== k) {
    throw new StatsInputError('standardErrors', `must hold ${k} values, one per mean`);
  }
  for (let i = 0; i < k; i++) {
    assertFinite(means[i], `means[${i}]`);
    assertFinite(standardErrors[i], `standardErrors[${i}]`);
    if (standardErrors[i]! < 0) {
      throw new StatsInputError(`standardErrors[${i}]`, `must be >= 0, got ${standardErrors[i]}`);
    }
  }

  const identical = means.every(
    (m, i) => m === means[0] && standardErrors[i] === standardErrors[0],
  );
  if (identical) return new Array<number>(k).fill(1 / k);

  // P(best) is invariant to a common shift and a positive common scale: map everything into
  // [-1, 1] so that the windows below can neither overflow nor lose their width.
  let maxMean = Number.NEGATIVE_INFINITY;
  let minMean = Number.POSITIVE_INFINITY;
  for (const m of means) {
    maxMean = Math.max(maxMean, m);
    minMean = Math.min(minMean, m);
  }
  const shift = maxMean / 2 + minMean / 2;
  let scale = 0;
  for (let i = 0; i < k; i++) {
    scale = Math.max(scale, Math.abs(means[i]! - shift), standardErrors[i]!);
  }
  const m = means.map((value) => (value - shift) / scale);
  const se = standardErrors.map((value) => value / scale);

  const continuous: number[] = [];
  let pointMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    // A density narrower than 1e-8 of its distance from the centre cannot be resolved by nodes
    // placed with relative precision 2.2e-16; it is treated as the point mass it nearly is.
    if (se[i]! * 1e8 <= Math.abs(m[i]!)) se[i] = 0;
    if (se[i]! > 0) continuous.push(i);
    else pointMax = Math.max(pointMax, m[i]!);
  }

  const result = new Array<number>(k).fill(0);
  if (pointMax > Number.NEGATIVE_INFINITY) {
    let below = 1;
    for (const j of continuous) below *= normalCdf((pointMax - m[j]!) / se[j]!);
    const winners: number[] = [];
    for (let i = 0; i < k; i++) if (se[i] === 0 && m[i] === pointMax) winners.push(i);
    for (const i of winners) result[i] = below / winners.length;
  }
  if (continuous.length > 0) integrateContinuous(m, se, continuous, pointMax, result);

  let total = 0;
  for (const p of result) total += p;
  if (!(total > 0) || !Number.isFinite(total)) return new Array<number>(k).fill(1 / k);
  return result.map((p) => p / total);
}

/**
 * Adds to result[i], for each continuous variant i, the integral over x > lowerLimit of
 * phi_i(x) prod_{continuous j != i} Phi_j(x).
 */
function integrateContinuous(
  means: readonly number[],
  ses: readonly number[],
  continuous: readonly number[],
  lowerLimit: number,
  result: number[],
): void {
  const c = continuous.length;
  const lo = continuous.map((i) => means[i]! - WINDOW_SDS * ses[i]!);
  const hi = continuous.map((i) => means[i]! + WINDOW_SDS * ses[i]!);
  const cuts = [...lo, ...hi];
  if (lowerLimit > Number.NEGATIVE_INFINITY) cuts.push(lowerLimit);
  cuts.sort((a, b) => a - b);

  const rule = gaussLegendre(NODES);
  const cdf = new Float64Array(c);
  const prefix = new Float64Array(c + 1);
  const suffix = new Float64Array(c + 1);
  const sums = new Float64Array(c);

  for (let s = 0; s + 1 < cuts.length; s++) {
    const a = Math.max(cuts[s]!, lowerLimit);
    const b = cuts[s + 1]!;
    if (!(b > a)) continue;
    const middle = 0.5 * (a + b);
    let width = Number.POSITIVE_INFINITY;
    for (let q = 0; q < c; q++) {
      if (lo[q]! <= middle && middle <= hi[q]!)
        width = Math.min(width, PANEL_SDS * ses[continuous[q]!]!);
    }
    if (width === Number.POSITIVE_INFINITY) continue; // a gap between windows: no mass
    const panels = Math.max(1, Math.ceil((b - a) / width));
    const h = (b - a) / panels;
    for (let panel = 0; panel < panels; panel++) {
      const left = a + panel * h;
      const half = 0.5 * h;
      const centre = left + half;
      for (let node = 0; node < rule.size; node++) {
        const x = centre + half * rule.nodes[node]!;
        const weight = half * rule.weights[node]!;
        for (let q = 0; q < c; q++) {
          const i = continuous[q]!;
          cdf[q] = normalCdf((x - means[i]!) / ses[i]!);
        }
        // Products of the other CDFs without division (a CDF may underflow to 0).
        prefix[0] = 1;
        for (let q = 0; q < c; q++) prefix[q + 1] = prefix[q]! * cdf[q]!;
        suffix[c] = 1;
        for (let q = c - 1; q >= 0; q--) suffix[q] = suffix[q + 1]! * cdf[q]!;
        for (let q = 0; q < c; q++) {
          const others = prefix[q]! * suffix[q + 1]!;
          if (others === 0) continue;
          const i = continuous[q]!;
          const z = (x - means[i]!) / ses[i]!;
          const density = (INV_SQRT_2PI / ses[i]!) * Math.exp(-0.5 * z * z);
          sums[q] = sums[q]! + weight * density * others;
        }
      }
    }
  }
  for (let q = 0; q < c; q++) result[continuous[q]!] = sums[q]!;
}
