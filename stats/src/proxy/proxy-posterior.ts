/**
 * Posterior of each variant's mean proxy score and its probability to be best (STATS.md
 * section 7).
 */
import { StatsInputError } from '../errors.js';
import { type CupedOptions, cupedAdjust } from './cuped-adjustment.js';
import { normalProbabilityBest } from './normal-probability-best.js';
import type { ProxyAccumulator } from './proxy-accumulator.js';

/** Posterior summary of one variant's mean proxy score. */
export interface ProxyPosteriorVariant {
  readonly key: string;
  readonly n: number;
  /** Posterior mean of the variant's mean score (CUPED-adjusted when `cupedApplied`). */
  readonly mean: number;
  /** Posterior standard deviation of the variant's mean score (same units as the score). */
  readonly standardError: number;
  /** Probability that this variant has the highest mean score. */
  readonly pBest: number;
  /** `variant`: sd / sqrt(n) from the variant's own visitors; `pooled`: the fallback rule. */
  readonly standardErrorSource: 'variant' | 'pooled';
}

/** Result of `proxyPosterior`. */
export interface ProxyPosterior {
  /** CUPED coefficient used (0 when CUPED was not applied). */
  readonly theta: number;
  readonly cupedApplied: boolean;
  /** In the order of the input variants. */
  readonly variants: readonly ProxyPosteriorVariant[];
}

/**
 * Posterior of each variant's mean proxy score and P(best) on the proxy, from per-variant
 * running sums (`ProxyAccumulator`, built with `addProxyObservation`).
 *
 * 1. CUPED (Deng, Xu, Kohavi and Walker 2013), see `cupedAdjust`: theta pooled over all visitors
 *    of all variants; adjusted mean and variance per variant. Skipped (theta = 0) unless every
 *    variant carries covariate sums and `options.cuped` is not false.
 * 2. Normal approximation to the posterior of each mean (flat prior; central limit theorem;
 *    Gelman et al., "Bayesian Data Analysis", 3rd ed., section 4.1): Normal(mean_i, se_i^2) with
 *    se_i = sd_i / sqrt(n_i), sd_i the adjusted sample standard deviation (ddof = 1).
 *    Degenerate variants (n_i < 2, or zero variance) get se_i = sd_pooled / sqrt(max(n_i, 1)),
 *    where sd_pooled is the standard deviation (ddof = 1) of the adjusted scores of all visitors
 *    of all variants together: a deliberately conservative stand-in (it includes differences
 *    between variants), positive whenever any two visitors differ. A variant with n_i = 0 gets
 *    the pooled mean and se = sd_pooled, the uncertainty of a single visitor.
 * 3. P(best)_i = integral phi_i(x) prod_{j != i} Phi_j(x) dx (STATS.md section 4 with normal
 *    densities), by `normalProbabilityBest`: Gauss-Legendre panels over the union of the
 *    windows mean +/- 9 se, no wider than 2 of the narrowest standard errors covering them,
 *    absolute error well below 1e-6, normalised to sum to 1. When sd_pooled = 0 (every visitor
 *    of every variant has the same adjusted score, or fewer than 2 visitors in all) the variants
 *    cannot be told apart and each gets P(best) = 1/K exactly.
 *
 * The proxy never decides a ship by itself; it informs the recommendation (STATS.md section 7).
 *
 * Example: two variants of 1000 visitors with mean scores 0.10 and 0.00 and sd 1 each ->
 * standard errors 0.0316, pBest = Phi(0.1 / 0.0447) = 0.987 for the first.
 *
 * Complexity: O(K) for the statistics plus O(K^2) for P(best) (see `normalProbabilityBest`);
 * independent of the number of visitors.
 *
 * @throws StatsInputError when fewer than 2 variants are given (`variants`), an accumulator is
 *   invalid (`variants[1].n`, `variants[0].sumY2`, ...), keys repeat (`variants[2].key`) or
 *   `options.cuped` is not a boolean.
 */
export function proxyPosterior(
  variants: readonly ProxyAccumulator[],
  options: CupedOptions | null = {},
): ProxyPosterior {
  if (!Array.isArray(variants) || variants.length < 2 || variants.length > 50) {
    throw new StatsInputError('variants', 'must hold 2 to 50 variants');
  }
  const adjusted = cupedAdjust(variants, options);
  const sdPooled = Math.sqrt(adjusted.pooledVariance);
  const summaries = adjusted.variants.map((v) => {
    if (v.n >= 2 && v.variance > 0) {
      return {
        mean: v.mean,
        standardError: Math.sqrt(v.variance / v.n),
        source: 'variant' as const,
      };
    }
    return {
      mean: v.mean,
      standardError: sdPooled / Math.sqrt(Math.max(v.n, 1)),
      source: 'pooled' as const,
    };
  });

  const k = variants.length;
  const pBest =
    sdPooled > 0
      ? normalProbabilityBest(
          summaries.map((s) => s.mean),
          summaries.map((s) => s.standardError),
        )
      : new Array<number>(k).fill(1 / k);

  return {
    theta: adjusted.theta,
    cupedApplied: adjusted.applied,
    variants: adjusted.variants.map((v, i) => ({
      key: v.key,
      n: v.n,
      mean: summaries[i]!.mean,
      standardError: summaries[i]!.standardError,
      pBest: pBest[i]!,
      standardErrorSource: summaries[i]!.source,
    })),
  };
}
