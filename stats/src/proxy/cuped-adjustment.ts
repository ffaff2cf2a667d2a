/**
 * CUPED variance reduction of the proxy score with a pre-exposure covariate (STATS.md
 * section 7).
 */
import { StatsInputError } from '../errors.js';
import { assertProxyAccumulator, type ProxyAccumulator } from './proxy-accumulator.js';

/**
 * A variance computed from running sums that is below this fraction of the raw second moment is
 * rounding noise (cancellation in sum(y^2) - sum(y)^2 / n), not a real spread: it counts as 0.
 */
const RELATIVE_VARIANCE_FLOOR = 1e-10;

/** CUPED-adjusted summary of one variant. */
export interface CupedVariant {
  readonly key: string;
  readonly n: number;
  /** Adjusted mean of Y; the pooled mean of Y when n = 0. */
  readonly mean: number;
  /** Adjusted sample variance (ddof = 1) of Y; 0 when n < 2 or below rounding noise. */
  readonly variance: number;
}

/** Result of `cupedAdjust`. */
export interface CupedAdjustment {
  /** theta = cov(X, Y) / var(X) over all visitors of all variants; 0 when not applied. */
  readonly theta: number;
  /** True when every variant carries covariate sums, CUPED is enabled and var(X) > 0. */
  readonly applied: boolean;
  /** Total number of visitors N. */
  readonly n: number;
  /** Pooled mean of Y over all visitors (CUPED leaves it unchanged); 0 when N = 0. */
  readonly pooledMean: number;
  /**
   * Sample variance (ddof = 1) of the adjusted Y over all visitors of all variants, ignoring
   * the variant; 0 when N < 2 or below rounding noise.
   */
  readonly pooledVariance: number;
  readonly variants: readonly CupedVariant[];
}

/** Options of `cupedAdjust` and `proxyPosterior`. */
export interface CupedOptions {
  /** Use the covariate when every variant has one; default true. */
  readonly cuped?: boolean;
}

interface Moments {
  readonly n: number;
  readonly meanY: number;
  readonly meanX: number;
  /** Centred sums of squares and cross-products. */
  readonly syy: number;
  readonly sxx: number;
  readonly sxy: number;
  /** Raw second moments, the scale for the rounding floor. */
  readonly rawY: number;
  readonly rawX: number;
}

function moments(
  n: number,
  sy: number,
  syy: number,
  sx: number,
  sxx: number,
  sxy: number,
): Moments {
  if (n === 0) return { n, meanY: 0, meanX: 0, syy: 0, sxx: 0, sxy: 0, rawY: 0, rawX: 0 };
  return {
    n,
    meanY: sy / n,
    meanX: sx / n,
    syy: Math.max(0, syy - (sy * sy) / n),
    sxx: Math.max(0, sxx - (sx * sx) / n),
    sxy: sxy - (sx * sy) / n,
    rawY: syy / n,
    rawX: sxx / n,
  };
}

/** Sample variance (ddof = 1) of Y - theta X from centred sums; 0 when it is rounding noise. */
function adjustedVariance(m: Moments, theta: number): number {
  if (m.n < 2) return 0;
  const centred = m.syy - 2 * theta * m.sxy + theta * theta * m.sxx;
  const variance = centred / (m.n - 1);
  const floor = RELATIVE_VARIANCE_FLOOR * (m.rawY + theta * theta * m.rawX);
  return variance > floor ? variance : 0;
}

/**
 * CUPED (Deng, Xu, Kohavi and Walker 2013, "Improving the sensitivity of online controlled
 * experiments by utilizing pre-experiment data", WSDM, section 3.2) from per-variant running
 * sums of the post-exposure score Y and the pre-exposure score X:
 *
 * - theta = cov(X, Y) / var(X) over all N visitors of all variants together, ddof = 1 for both;
 *   theta = 0 when var(X) = 0 (up to rounding), when a variant has no covariate sums, when N < 2
 *   or when `options.cuped` is false;
 * - adjusted mean of variant i: mean(Y_i) - theta (mean(X_i) - mean(X over all visitors));
 * - adjusted variance of variant i (ddof = 1): var(Y_i) - 2 theta cov_i(X, Y) + theta^2 var(X_i),
 *   the sample variance of Y - theta X within the variant, from the same sums.
 *
 * Scores are winsorized before they reach the sums (inside `proxyScore`), so this is "winsorize
 * first, then adjust". Variances are clamped at 0, and those below 1e-10 of the raw second
 * moment (pure cancellation noise) are reported as 0. A variant with n = 0 gets the pooled mean
 * and variance 0.
 *
 * Example: Y = X + 0.2 for every visitor of every variant -> theta = 1, every adjusted variance
 * 0 and every adjusted mean equal to mean(Y) over all visitors.
 *
 * O(K) time and memory for K variants.
 *
 * @throws StatsInputError when `variants` is not an array, an accumulator is invalid
 *   (`variants[1].n`, `variants[0].sumX2`, ...), or two variants share a key (`variants[2].key`).
 */
export function cupedAdjust(
  variants: readonly ProxyAccumulator[],
  options: CupedOptions | null = {},
): CupedAdjustment {
  if (!Array.isArray(variants)) throw new StatsInputError('variants', 'must be an array');
  if (options?.cuped !== undefined && typeof options?.cuped !== 'boolean') {
    throw new StatsInputError('options.cuped', `must be a boolean, got ${String(options?.cuped)}`);
  }
  const keys = new Set<string>();
  variants.forEach((variant: unknown, i: number) => {
    assertProxyAccumulator(variant, `variants[${i}]`);
    if (keys.has(variant.key)) {
      throw new StatsInputError(
        `variants[${i}].key`,
        `duplicates another variant's key ${variant.key}`,
      );
    }
    keys.add(variant.key);
  });

  const withX = options?.cuped !== false && variants.every((v) => v.sumX !== undefined);
  let n = 0;
  let sy = 0;
  let syy = 0;
  let sx = 0;
  let sxx = 0;
  let sxy = 0;
  const perVariant = variants.map((v) => {
    n += v.n;
    sy += v.sumY;
    syy += v.sumY2;
    const x = withX ? (v.sumX ?? 0) : 0;
    const xx = withX ? (v.sumX2 ?? 0) : 0;
    const xy = withX ? (v.sumXY ?? 0) : 0;
    sx += x;
    sxx += xx;
    sxy += xy;
    return moments(v.n, v.sumY, v.sumY2, x, xx, xy);
  });
  const pooled = moments(n, sy, syy, sx, sxx, sxy);

  // var(X) = sxx / (N - 1) must exceed the rounding floor; the (N - 1) cancels in theta.
  const applied = withX && n >= 2 && pooled.sxx > RELATIVE_VARIANCE_FLOOR * pooled.rawX * (n - 1);
  const theta = applied ? pooled.sxy / pooled.sxx : 0;
  return {
    theta,
    applied,
    n,
    pooledMean: pooled.meanY,
    pooledVariance: adjustedVariance(pooled, theta),
    variants: variants.map((v, i) => {
      const m = perVariant[i]!;
      return {
        key: v.key,
        n: v.n,
        mean: v.n === 0 ? pooled.meanY : m.meanY - theta * (m.meanX - pooled.meanX),
        variance: adjustedVariance(m, theta),
      };
    }),
  };
}
