/**
 * Percentiles by linear interpolation between order statistics, and winsorization.
 */

/**
 * The p-quantile of `sorted` (ascending, non-empty) by linear interpolation between the closest
 * order statistics: with h = (n - 1) p and j = floor(h), Q(p) = x_(j) + (h - j)(x_(j+1) - x_(j))
 * (0-based order statistics). This is definition 7 of Hyndman and Fan (1996), "Sample quantiles
 * in statistical packages", The American Statistician 50(4), the default of numpy.percentile
 * (`method='linear'`) and of R's `quantile`.
 *
 * Example: percentileLinear([1, 2, 3, 4, 100], 0.99) = 4 + 0.96 * 96 = 96.16.
 *
 * O(1). The caller sorts (O(n log n)) and guarantees finite values; p must lie in [0, 1].
 *
 * @throws RangeError when `sorted` is empty or p is outside [0, 1] (programming errors: user
 *   input is validated before it reaches this function).
 */
export function percentileLinear(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentileLinear: empty sample');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentileLinear: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const j = Math.floor(h);
  const lo = sorted[j]!;
  if (j >= n - 1) return lo;
  const hi = sorted[j + 1]!;
  const fraction = h - j;
  return fraction === 0 ? lo : lo + fraction * (hi - lo);
}

/**
 * Winsorizes one value: clamps it to [lower, upper] (Tukey's winsorization, after Charles
 * Winsor; see Dixon (1960), "Simplified estimation from censored normal samples", Annals of
 * Mathematical Statistics 31(2)). O(1).
 *
 * Example: winsorize(120, 1.04, 96.16) = 96.16.
 */
export function winsorize(value: number, lower: number, upper: number): number {
  return Math.min(Math.max(value, lower), upper);
}
