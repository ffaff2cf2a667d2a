/**
 * Closed forms for two Beta posteriors (test code only).
 *
 * Evan Miller, "Formulas for Bayesian A/B Testing" (2015),
 * https://www.evanmiller.org/bayesian-ab-testing.html: for theta_A ~ Beta(aA, bA) and
 * theta_B ~ Beta(aB, bB) with aB a positive integer (the other three may be any positive reals),
 *
 *   P(theta_B > theta_A) = sum_{i=0}^{aB-1} B(aA + i, bA + bB) / ((bB + i) B(1 + i, bB) B(aA, bA)).
 *
 * It follows from 1 - I_x(aB, bB) = sum_{i<aB} x^i (1 - x)^bB Gamma(bB + i) / (Gamma(bB) i!)
 * for integer aB. Each term is evaluated in log space; the sum has aB terms, so this is meant
 * for aB up to a few thousand. By the mirror symmetry 1 - theta ~ Beta(b, a),
 * P(theta_B > theta_A) = P(1 - theta_A > 1 - theta_B), which needs bA integer instead and sums
 * bA terms: that covers c = n posteriors such as Beta(1_000_001, 19) in 19 terms.
 *
 * E[max] for two arms also has a closed form on top of it: x f_A(x) = mean_A * f_{A+}(x) with
 * A+ = Beta(aA + 1, bA), so E[theta_A 1{theta_A > theta_B}] = mean_A * P(theta_{A+} > theta_B)
 * and E[max] = mean_A P(theta_{A+} > theta_B) + mean_B P(theta_{B+} > theta_A).
 */
import type { BetaShape } from './incomplete-beta.js';
import { logBeta } from './log-gamma.js';

const MAX_TERMS = 200_000;

/** P(theta_B > theta_A) by Evan Miller's sum; requires b.alpha to be an integer. */
export function evanMillerSum(a: BetaShape, b: BetaShape): number {
  if (!Number.isInteger(b.alpha) || b.alpha < 1 || b.alpha > MAX_TERMS) {
    throw new RangeError(`evanMillerSum: B's alpha must be an integer in [1, ${MAX_TERMS}]`);
  }
  const logNormaliser = logBeta(a.alpha, a.beta);
  let sum = 0;
  let compensation = 0; // Kahan summation: the terms are positive, thousands of them.
  for (let i = 0; i < b.alpha; i++) {
    const term = Math.exp(
      logBeta(a.alpha + i, a.beta + b.beta) -
        Math.log(b.beta + i) -
        logBeta(1 + i, b.beta) -
        logNormaliser,
    );
    const y = term - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  return sum;
}

/**
 * P(theta_B > theta_A) in closed form, choosing the direct sum (needs b.alpha integer) or the
 * mirrored sum (needs a.beta integer), whichever is shorter and applicable.
 */
export function probabilityBBeatsA(a: BetaShape, b: BetaShape): number {
  const direct = Number.isInteger(b.alpha) ? b.alpha : Number.POSITIVE_INFINITY;
  const mirrored = Number.isInteger(a.beta) ? a.beta : Number.POSITIVE_INFINITY;
  if (direct === Number.POSITIVE_INFINITY && mirrored === Number.POSITIVE_INFINITY) {
    throw new RangeError('probabilityBBeatsA: needs an integer b.alpha or a.beta');
  }
  if (direct <= mirrored) return evanMillerSum(a, b);
  // 1 - theta_A ~ Beta(a.beta, a.alpha) plays "B", 1 - theta_B ~ Beta(b.beta, b.alpha) plays "A".
  return evanMillerSum({ alpha: b.beta, beta: b.alpha }, { alpha: a.beta, beta: a.alpha });
}

/** Two-arm P(best) and E[max] in closed form (see the module comment). */
export function evanMillerTwoArm(
  a: BetaShape,
  b: BetaShape,
): { probabilityToBeBest: [number, number]; expectedMax: number; expectedLoss: [number, number] } {
  const pB = probabilityBBeatsA(a, b);
  const pA = probabilityBBeatsA(b, a);
  const meanA = a.alpha / (a.alpha + a.beta);
  const meanB = b.alpha / (b.alpha + b.beta);
  const aPlus = { alpha: a.alpha + 1, beta: a.beta };
  const bPlus = { alpha: b.alpha + 1, beta: b.beta };
  const expectedMax = meanA * probabilityBBeatsA(b, aPlus) + meanB * probabilityBBeatsA(a, bPlus);
  return {
    probabilityToBeBest: [pA, pB],
    expectedMax,
    expectedLoss: [expectedMax - meanA, expectedMax - meanB],
  };
}
