import type { BetaParams, ResolvedThresholds } from './types.js';

/**
 * Half-width r of the region of practical equivalence [-r, r] for differences of conversion
 * rates (STATS.md section 5): the absolute `ropeHalfWidth` when set, else
 * r = ropeRelative * pooled posterior mean, with the pooled mean
 * (a0 + sum c_i) / (a0 + b0 + sum n_i). Relative by default because a fixed width such as 0.01
 * would call a doubling from 0.3% to 0.6% "equivalent".
 *
 * Source: Kruschke (2018), "Rejecting or accepting parameter values in Bayesian estimation",
 * Advances in Methods and Practices in Psychological Science 1(2), section "ROPE".
 *
 * @param prior Beta(a0, b0), the prior shared by the variants.
 * @param totals sum of visitors n_i and of conversions c_i over variants.
 * @returns r in absolute conversion-rate units. O(1).
 */
export function ropeHalfWidth(
  prior: BetaParams,
  totals: { visitors: number; conversions: number },
  thresholds: ResolvedThresholds,
): number {
  if (thresholds.ropeHalfWidth !== null) return thresholds.ropeHalfWidth;
  const pooledMean =
    (prior.alpha + totals.conversions) / (prior.alpha + prior.beta + totals.visitors);
  return thresholds.ropeRelative * pooledMean;
}
