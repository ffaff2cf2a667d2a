/**
 * Choice of the Beta prior on every variant's conversion rate (STATS.md section 2): a prior the
 * user set on the experiment, else an empirical-Bayes prior fitted to the project's past
 * conversion rates, else the platform default Beta(1, 19).
 */
import { assertInRange, StatsInputError } from './errors.js';
import type { BetaParams, PriorChoice } from './types.js';

/**
 * Platform default prior Beta(1, 19) (tier 3 of STATS.md section 2): mean 0.05, worth 20 pseudo
 * visitors, so a handful of real visitors already outweighs it. Frozen; shared by every caller.
 */
export const DEFAULT_PRIOR: PriorChoice = Object.freeze({
  tier: 'default',
  alpha: 1,
  beta: 19,
});

/**
 * Cap on the prior strength s = a0 + b0 of the historical prior, in pseudo visitors. Past
 * experiments with nearly identical rates would otherwise give a prior worth thousands of
 * visitors that no new experiment could move.
 */
const MAX_HISTORICAL_STRENGTH = 100;

/**
 * Below one pseudo visitor the history is too dispersed to inform anything (rates of 0 and 1
 * side by side): such a fit would be weaker than no prior at all, and the default is used.
 */
const MIN_HISTORICAL_STRENGTH = 1;

/**
 * Bounds on prior parameters, in pseudo visitors. Below 0.01 a prior puts nearly all its mass
 * on rates of exactly 0 or 1, which no one means; above a million it would outweigh any
 * experiment. Both also keep the quadrature's grid of a bounded size.
 */
export const PRIOR_PARAMETER_RANGE = Object.freeze({ min: 0.01, max: 1e6 });

/** Inputs of {@link resolvePrior}; both fields are optional, so `{}` gives the default prior. */
export interface PriorInput {
  /** Tier 1: the prior Beta(alpha, beta) set by the user on the experiment. */
  readonly prior?: BetaParams | null | undefined;
  /**
   * Tier 2: final conversion rates (absolute units, each in [0, 1]) of the variants of the
   * project's past experiments, one number per variant.
   */
  readonly history?: readonly number[] | null | undefined;
}

/**
 * Resolves the prior Beta(a0, b0) used for every variant of an experiment, by the three tiers of
 * STATS.md section 2, and records which tier supplied it:
 *
 * 1. `user`: `prior`, when given, wins over everything else.
 * 2. `historical`: empirical Bayes by moment matching over `history` = x_1..x_m:
 *    mu = mean(x), v = sum (x_j - mu)^2 / (m - 1) (ddof = 1). When m >= 3 and
 *    1e-12 * mu(1 - mu) < v < mu(1 - mu), the Beta with mean mu and variance v has strength
 *    s = mu(1 - mu)/v - 1, capped at 100: s = min(mu(1 - mu)/v - 1, 100), a0 = mu * s,
 *    b0 = (1 - mu) * s. Otherwise (fewer than 3 rates; all rates equal, whose variance is zero
 *    only up to rounding, hence the relative floor; a variance too large for any Beta; mu = 0 or
 *    mu = 1; a fit weaker than one pseudo visitor, s < 1, or with a0 or b0 below 0.01, which
 *    would be vaguer than no prior and could call 1 conversion against 0 a win) this tier is
 *    skipped.
 * 3. `default`: {@link DEFAULT_PRIOR}, Beta(1, 19).
 *
 * Both inputs are validated whenever present, even when `prior` makes `history` unused, so bad
 * data upstream is reported rather than silently ignored.
 *
 * Source: moment-matching empirical Bayes for the Beta-Binomial model, Casella (1985), "An
 * introduction to empirical Bayes data analysis", The American Statistician 39(2), 83-87;
 * Gelman et al., Bayesian Data Analysis, 3rd ed. (BDA3), section 5.1 (the rat tumour example's
 * Beta prior fitted to the historical rates by their mean and standard deviation) and section 5.3
 * (the full hierarchical model it approximates). The relative floor, the cap on s and the
 * floors on s, a0 and b0 are this project's safeguards (STATS.md section 2 and this module), not
 * part of the sources.
 *
 * Complexity: O(m) time, O(1) extra space.
 *
 * @example
 * resolvePrior({ history: [0.02, 0.04, 0.06] });
 * // mu = 0.04, v = 0.0004, s = 0.0384 / 0.0004 - 1 = 95
 * // => { tier: 'historical', alpha: 3.8, beta: 91.2 } (up to rounding)
 *
 * @throws StatsInputError with field `prior` when it is not an object, `prior.alpha` or
 *   `prior.beta` unless the value is a finite number in [0.01, 1e6] (PRIOR_PARAMETER_RANGE);
 *   `history` when it is not an array; `history[i]` unless x_i is a finite number in [0, 1].
 */
export function resolvePrior(input: PriorInput = {}): PriorChoice {
  if (typeof input !== 'object' || input === null) {
    throw new StatsInputError('input', 'must be { prior?, history? }');
  }
  const { prior, history } = input;

  if (prior != null) {
    if (typeof prior !== 'object') throw new StatsInputError('prior', 'must be { alpha, beta }');
    const { min, max } = PRIOR_PARAMETER_RANGE;
    assertInRange(prior.alpha, 'prior.alpha', min, max);
    assertInRange(prior.beta, 'prior.beta', min, max);
  }
  if (history != null) {
    if (!Array.isArray(history)) {
      throw new StatsInputError('history', 'must be an array of conversion rates');
    }
    for (let i = 0; i < history.length; i++) assertInRange(history[i], `history[${i}]`, 0, 1);
  }

  if (prior != null) return { tier: 'user', alpha: prior.alpha, beta: prior.beta };
  if (history != null) {
    const fitted = momentMatchedBeta(history);
    if (fitted) return { tier: 'historical', alpha: fitted.alpha, beta: fitted.beta };
  }
  return DEFAULT_PRIOR;
}

/** The moment-matched Beta of tier 2, or null when the tier does not apply. Rates validated. */
function momentMatchedBeta(rates: readonly number[]): BetaParams | null {
  const m = rates.length;
  if (m < 3) return null;

  let sum = 0;
  for (const x of rates) sum += x;
  const mu = sum / m;

  // Two-pass variance: exact zero deviations for equal rates apart from the rounding of mu.
  let squares = 0;
  for (const x of rates) squares += (x - mu) * (x - mu);
  const v = squares / (m - 1);

  const bernoulliVariance = mu * (1 - mu);
  if (!(v > 1e-12 * bernoulliVariance && v < bernoulliVariance)) return null;

  const s = Math.min(bernoulliVariance / v - 1, MAX_HISTORICAL_STRENGTH);
  const fitted = { alpha: mu * s, beta: (1 - mu) * s };
  const { min } = PRIOR_PARAMETER_RANGE;
  if (s < MIN_HISTORICAL_STRENGTH || fitted.alpha < min || fitted.beta < min) return null;
  return fitted;
}
