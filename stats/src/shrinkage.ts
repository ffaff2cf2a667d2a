/**
 * Cross-experiment shrinkage of effect estimates (STATS.md section 9): the lifts of a project's
 * finished experiments are pulled towards their common mean, by an amount the data choose, so the
 * dashboard can show a shrunk lift beside the raw one (raw lifts of the winners are biased up).
 */
import { assertFinite, StatsInputError } from './errors.js';

/** One finished experiment's effect: the lift d_i and its standard error se_i (same units). */
export interface EffectEstimate {
  /** Effect estimate d_i, e.g. the difference of posterior means (absolute rate units). */
  readonly estimate: number;
  /** Standard error se_i of `estimate`, >= 0, in the same units. */
  readonly standardError: number;
}

/** Result of {@link jamesSteinShrinkage}. */
export interface ShrinkageResult {
  /** B in [0, 1]: 0 leaves the estimates as they are, 1 replaces every one by the grand mean. */
  readonly shrinkageFactor: number;
  /** dbar, the plain mean of the estimates (0 for an empty input). */
  readonly grandMean: number;
  /** Shrunk estimates d_i_JS, in the order and units of the input. */
  readonly estimates: number[];
}

/** Fewest experiments for which shrinkage is applied (the factor k - 3 must be positive). */
const MIN_EXPERIMENTS = 4;

/**
 * Positive-part James-Stein shrinkage towards the grand mean, exactly as STATS.md section 9.
 * For k effects d_i with standard errors se_i:
 *
 *   dbar = mean(d), sigma2 = mean(se_i^2), S = sum (d_i - dbar)^2,
 *   B = min(1, (k - 3) * sigma2 / S),   d_i_JS = dbar + (1 - B) * (d_i - dbar).
 *
 * B = 1 when every d_i is equal (S = 0; the 0/0 case is avoided), and B = 0 when every se_i is 0
 * (exact estimates are not shrunk). With k < 4 no shrinkage is applied: B = 0 and the estimates
 * are returned unchanged (the estimator needs k - 3 > 0 when the mean is estimated). sigma2 is
 * the mean of the squared standard errors, a simple pooling when they differ (Efron and Morris
 * 1975 discuss the unequal-variance case more carefully; STATS.md fixes this form).
 *
 * The sums are computed on inputs rescaled by a power of two (exact in floating point), so huge
 * or tiny inputs neither overflow to Infinity/NaN nor underflow.
 *
 * Source: Efron and Morris (1975), "Data analysis using Stein's estimator and its
 * generalizations", Journal of the American Statistical Association 70(350), 311-319
 * (shrinkage towards the grand mean with k - 3); positive part: Baranchik (1964), "Multiple
 * regression and estimation of the mean of a multivariate normal distribution", Stanford
 * Technical Report 51.
 *
 * Complexity: O(k) time, O(k) space for the result.
 *
 * @example
 * jamesSteinShrinkage([0, 0.01, 0.02, 0.03, 0.04].map((estimate) => ({
 *   estimate, standardError: 0.01 })));
 * // dbar = 0.02, sigma2 = 1e-4, S = 1e-3, B = 2e-4 / 1e-3 = 0.2
 * // => { shrinkageFactor: 0.2, grandMean: 0.02, estimates: [0.004, 0.012, 0.02, 0.028, 0.036] }
 *
 * @throws StatsInputError with field `effects` when the input is not an array,
 *   `effects[i].estimate` unless it is a finite number, `effects[i].standardError` unless it is a
 *   finite number >= 0.
 */
export function jamesSteinShrinkage(effects: readonly EffectEstimate[]): ShrinkageResult {
  if (!Array.isArray(effects)) throw new StatsInputError('effects', 'must be an array');
  const k = effects.length;
  const d: number[] = new Array(k);
  const se: number[] = new Array(k);
  for (let i = 0; i < k; i++) {
    const effect = effects[i];
    if (effect == null || typeof effect !== 'object') {
      throw new StatsInputError(`effects[${i}]`, 'must be an object { estimate, standardError }');
    }
    assertFinite(effect.estimate, `effects[${i}].estimate`);
    assertFinite(effect.standardError, `effects[${i}].standardError`);
    if (effect.standardError < 0) {
      throw new StatsInputError(
        `effects[${i}].standardError`,
        `must be >= 0, got ${effect.standardError}`,
      );
    }
    d[i] = effect.estimate;
    se[i] = effect.standardError;
  }

  if (k === 0) return { shrinkageFactor: 0, grandMean: 0, estimates: [] };

  const first = d[0] as number;
  if (d.every((x) => x === first)) {
    // Mean of equal numbers is that number; B = 1 whatever k (or the identity when k < 4).
    return {
      shrinkageFactor: k >= MIN_EXPERIMENTS ? 1 : 0,
      grandMean: first,
      estimates: d.slice(),
    };
  }

  // Rescale by a power of two so sums of squares stay finite and normal; exact for normal inputs.
  let largest = 0;
  for (let i = 0; i < k; i++) largest = Math.max(largest, Math.abs(d[i]!), se[i]!);
  const scale = 2 ** Math.floor(Math.log2(largest));

  let sum = 0;
  for (const x of d) sum += x / scale;
  const mean = sum / k;
  const grandMean = mean * scale;

  if (k < MIN_EXPERIMENTS) return { shrinkageFactor: 0, grandMean, estimates: d.slice() };

  let spread = 0;
  let variance = 0;
  for (let i = 0; i < k; i++) {
    const deviation = d[i]! / scale - mean;
    spread += deviation * deviation;
    const s = se[i]! / scale;
    variance += s * s;
  }
  const sigma2 = variance / k;

  // spread is 0 only when the deviations underflow: then the estimates are equal in effect.
  const shrinkageFactor = spread === 0 ? 1 : Math.min(1, ((k - 3) * sigma2) / spread);
  const keep = 1 - shrinkageFactor;
  const estimates = d.map((x) => (mean + keep * (x / scale - mean)) * scale);
  return { shrinkageFactor, grandMean, estimates };
}
