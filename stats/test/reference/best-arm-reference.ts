/**
 * Reference P(best), E[max] and expected loss for independent Beta posteriors by adaptive
 * Gauss-Kronrod quadrature (test code only; slow but right).
 *
 *   P(best)_i = int_0^1 f_i(x) prod_{j != i} F_j(x) dx
 *   E[max]    = int_0^1 (1 - prod_j F_j(x)) dx            (E[X] = int P(X > x) dx for X in [0, 1])
 *             = sum_i int_0^1 x f_i(x) prod_{j != i} F_j(x) dx   (a second, independent route)
 *   L_i       = E[max] - alpha_i / (alpha_i + beta_i)
 *
 * Where the integrand lives: each posterior gets a window mean +- 50 sd clipped to [0, 1],
 * widened until the CDF itself shows that at most 1e-16 of its mass lies outside (Beta(1, b) has
 * exponential, not Gaussian, tails). The integration runs over the hull of the windows and is
 * split at mean + s sd (s = 0, +-1, +-2, +-3, +-5, +-8, +-12, +-20, +-30) of EVERY posterior, so
 * that a posterior with sd 1e-6 is never stepped over by the adaptive rule working on the scale
 * of a wider one. [0, 1] is cut at 1/2 and the upper half is integrated in y = 1 - x (see
 * referenceBestArm). A piece that touches 0 (in x or in y) is integrated in t with u = t^m,
 * m = max(2, ceil(2 / min shape)), which removes the u^(alpha - 1) endpoint singularity of a
 * prior with alpha < 1 (and makes a bounded integrand smooth at the end).
 */
import { integrateAdaptive } from './gauss-kronrod.js';
import {
  type BetaShape,
  betaLogDensity,
  betaMean,
  betaStandardDeviation,
  logBetaCdf,
} from './incomplete-beta.js';

export interface ReferenceBestArm {
  readonly probabilityToBeBest: number[];
  readonly expectedLoss: number[];
  /** E[max] by int (1 - prod F). */
  readonly expectedMax: number;
  /** E[max] by sum_i int x f_i prod_{j != i} F_j, an internal consistency check. */
  readonly expectedMaxBySum: number;
  /** Summed Gauss-Kronrod error estimate over all pieces (max over components). */
  readonly errorEstimate: number;
}

const LOG_NEGLIGIBLE_TAIL = Math.log(1e-16);
const BULK_OFFSETS = [-30, -20, -12, -8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8, 12, 20, 30];

/** [lo, hi] holding all but <= 1e-16 of each tail of Beta(alpha, beta), from mean +- k sd. */
export function posteriorWindow(p: BetaShape): [number, number] {
  const mean = betaMean(p);
  const sd = betaStandardDeviation(p);
  let k = 50;
  for (;;) {
    const lo = Math.max(0, mean - k * sd);
    const hi = Math.min(1, mean + k * sd);
    const lowerOk = lo === 0 || logBetaCdf(lo, p.alpha, p.beta).lower <= LOG_NEGLIGIBLE_TAIL;
    const upperOk = hi === 1 || logBetaCdf(hi, p.alpha, p.beta).upper <= LOG_NEGLIGIBLE_TAIL;
    if (lowerOk && upperOk) return [lo, hi];
    k *= 1.5;
  }
}

/** Sorted, de-duplicated split points: the hull [lo, hi] and every posterior's bulk marks. */
export function splitPoints(posteriors: readonly BetaShape[], lo: number, hi: number): number[] {
  const points = [lo, hi];
  for (const p of posteriors) {
    const mean = betaMean(p);
    const sd = betaStandardDeviation(p);
    for (const s of BULK_OFFSETS) {
      const x = mean + s * sd;
      if (x > lo && x < hi) points.push(x);
    }
  }
  points.sort((x, y) => x - y);
  return points.filter((x, i) => i === 0 || x > points[i - 1]!);
}

/**
 * Integral of a vector integrand over the split points, with the power-law substitution
 * u = t^m on a first piece that starts at 0 (see the module comment).
 */
export function integrateOverPieces(
  f: (u: number) => number[],
  points: readonly number[],
  dimension: number,
  powerAtZero: number,
  absoluteTolerance: number,
): { value: number[]; errorEstimate: number } {
  const total = new Array<number>(dimension).fill(0);
  let errorEstimate = 0;
  const pieces = points.length - 1;
  if (pieces < 1) return { value: total, errorEstimate };
  const tolerance = absoluteTolerance / pieces;
  const accumulate = (value: number[], error: number) => {
    for (let k = 0; k < dimension; k++) total[k]! += value[k]!;
    errorEstimate += error;
  };
  let first = 0;
  if (points[0] === 0) {
    const width = points[1]!;
    const m = powerAtZero;
    const r = integrateAdaptive(
      (t) => {
        const u = width * t ** m;
        // Where u underflows to 0 the integrand times the Jacobian is ~t^(m alpha - 1), t ~ 0.
        if (u <= 0) return new Array<number>(dimension).fill(0);
        const jacobian = width * m * t ** (m - 1);
        return f(u).map((v) => v * jacobian);
      },
      [0, 1],
      dimension,
      { absoluteTolerance: tolerance },
    );
    accumulate(r.value, r.errorEstimate);
    first = 1;
  }
  if (pieces > first) {
    const r = integrateAdaptive(f, points.slice(first), dimension, {
      absoluteTolerance: tolerance * (pieces - first),
    });
    accumulate(r.value, r.errorEstimate);
  }
  return { value: total, errorEstimate };
}

/** Substitution power for an end where the smallest relevant shape parameter is `shape`. */
export function endpointPowerFor(shape: number): number {
  return Math.max(2, Math.ceil(2 / shape));
}

/** Beta(a, b) -> Beta(b, a): the law of 1 - theta. */
export function mirror(p: BetaShape): BetaShape {
  return { alpha: p.beta, beta: p.alpha };
}

/**
 * Reference P(best), expected loss and E[max] for K >= 2 independent Beta posteriors.
 * `absoluteTolerance` bounds the summed |K15 - G7| estimate of every component.
 *
 * [0, 1] is cut at 1/2 and each half is integrated in the variable that is small there: x on
 * [0, 1/2] and y = 1 - x on [1/2, 1], evaluating F_j(1 - y) as the upper tail of the mirrored
 * law Beta(b_j, a_j) at y and f_i(1 - y) as its density. So a posterior such as
 * Beta(1_000_001, 19), which lives within 1e-4 of 1, is integrated with full relative precision
 * in y instead of on the coarse grid of doubles just below 1.
 */
export function referenceBestArm(
  posteriors: readonly BetaShape[],
  absoluteTolerance = 1e-12,
): ReferenceBestArm {
  const k = posteriors.length;
  // Components: [0, k) P(best)_i integrands; k: 1 - prod F; [k + 1, 2k + 1): x * P(best)_i.
  const dimension = 2 * k + 1;
  const sum = new Array<number>(dimension).fill(0);
  let errorEstimate = 0;
  let below = 0; // length of [0, lo) where 1 - prod F = 1 (to 1e-16)
  for (const upperHalf of [false, true]) {
    const shapes = upperHalf ? posteriors.map(mirror) : posteriors;
    const lo = Math.min(0.5, ...shapes.map((p) => posteriorWindow(p)[0]));
    if (lo >= 0.5) {
      if (!upperHalf) below = 0.5;
      continue;
    }
    if (!upperHalf) below = lo;
    const points = splitPoints(shapes, lo, 0.5);
    const integrand = (u: number): number[] => {
      const x = upperHalf ? 1 - u : u;
      const logCdf = shapes.map((p) => {
        const tails = logBetaCdf(u, p.alpha, p.beta);
        return upperHalf ? tails.upper : tails.lower; // ln F_j(x)
      });
      const cdf = logCdf.map(Math.exp);
      const out = new Array<number>(dimension).fill(0);
      for (let i = 0; i < k; i++) {
        let others = 1;
        for (let j = 0; j < k; j++) if (j !== i) others *= cdf[j]!;
        const p = shapes[i]!;
        const value = others === 0 ? 0 : Math.exp(betaLogDensity(u, p.alpha, p.beta)) * others;
        out[i] = value;
        out[k + 1 + i] = x * value;
      }
      out[k] = -Math.expm1(logCdf.reduce((s, v) => s + v, 0));
      return out;
    };
    const power = endpointPowerFor(Math.min(...shapes.map((p) => p.alpha)));
    const r = integrateOverPieces(integrand, points, dimension, power, absoluteTolerance / 2);
    for (let c = 0; c < dimension; c++) sum[c]! += r.value[c]!;
    errorEstimate += r.errorEstimate;
  }
  const probabilityToBeBest = sum.slice(0, k);
  // Below lo every F_j <= 1e-16, so 1 - prod F = 1 there: that stretch contributes its length;
  // near x = 1 (y < the upper half's lo) 1 - prod F <= K * 1e-16 contributes nothing.
  const expectedMax = below + sum[k]!;
  const expectedMaxBySum = sum.slice(k + 1).reduce((s, v) => s + v, 0);
  return {
    probabilityToBeBest,
    expectedMax,
    expectedMaxBySum,
    expectedLoss: posteriors.map((p) => expectedMax - betaMean(p)),
    errorEstimate,
  };
}

const cache = new Map<string, ReferenceBestArm>();

/** referenceBestArm memoised on the exact parameters (the n = 1e6 cases cost ~0.1 s each). */
export function cachedReferenceBestArm(posteriors: readonly BetaShape[]): ReferenceBestArm {
  const key = posteriors.map((p) => `${p.alpha},${p.beta}`).join(';');
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = referenceBestArm(posteriors);
    cache.set(key, hit);
  }
  return hit;
}
