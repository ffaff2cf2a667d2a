/**
 * Sample ratio mismatch (SRM) guard (STATS.md section 10): are the observed exposures per variant
 * consistent with the allocation that was in force when the visitors were assigned? A mismatch
 * points at a bug (assignment, redirects, bot filtering, logging) that makes the results
 * untrustworthy whatever they say.
 */
import { assertCount, assertFinite, StatsInputError } from './errors.js';
import { chiSquareSurvival } from './jstat-adapter.js';

/**
 * One allocation epoch: a period during which the traffic split stayed fixed (it changes when the
 * bandit reallocates or a variant is paused). Both arrays are indexed by variant, length K.
 */
export interface AllocationEpoch {
  /** Share of new visitors sent to each variant in this epoch; each >= 0, summing to 1. */
  readonly weights: readonly number[];
  /** Visitors first assigned (exposed) in this epoch, per variant; non-negative integers. */
  readonly visitors: readonly number[];
}

/** Options of {@link sampleRatioMismatch}. */
export interface SrmOptions {
  /** Significance level; a mismatch is reported when pValue < alpha. In (0, 1); default 0.001. */
  readonly alpha?: number | undefined;
}

/** Result of {@link sampleRatioMismatch}; plain numbers only, so it serialises to JSON as is. */
export interface SrmResult {
  /** True when pValue < alpha. */
  readonly detected: boolean;
  /** P(chi-square(df) >= chiSquare) under correct assignment, in [0, 1]. */
  readonly pValue: number;
  /** Pearson's statistic over the variants with a positive expected count (always finite). */
  readonly chiSquare: number;
  /** Number of variants with a positive expected count, minus 1 (0 when no test is possible). */
  readonly degreesOfFreedom: number;
  /** Expected visitors per variant under the allocation epochs (length K). */
  readonly expected: number[];
  /** Observed visitors per variant, summed over epochs (length K). */
  readonly observed: number[];
}

/** Default significance level: SRM checks run on every update, so only strong evidence counts. */
export const DEFAULT_SRM_ALPHA = 0.001;

/** Weights below this are zero: no allocation sends traffic in such a share. */
const MIN_WEIGHT = 1e-9;

/** Tolerance on the sum of an epoch's weights (they are shares computed in floating point). */
const WEIGHT_SUM_TOLERANCE = 1e-6;

/**
 * Pearson chi-square goodness-of-fit test of the observed exposures per variant against the
 * counts expected from the allocation in force when each visitor was assigned:
 *
 *   observed_i = sum_e visitors[e][i],
 *   expected_i = sum_e N_e * weights[e][i] / sum_j weights[e][j],  N_e = sum_j visitors[e][j],
 *   chiSquare  = sum over i with expected_i > 0 of (observed_i - expected_i)^2 / expected_i,
 *   pValue     = P(chi-square(df) >= chiSquare),  df = #{i : expected_i > 0} - 1.
 *
 * Weights are divided by their sum (which is 1 within 1e-6) so that the expected counts add up to
 * the observed total exactly, as the test assumes. Testing each epoch's split against the final
 * split instead would flag every experiment whose allocation changed.
 *
 * Degrees of freedom: a variant with expected_i = 0 (weight 0 in every epoch that had visitors)
 * has a count fixed at 0 under correct assignment, so it is not a free cell: it adds no term and
 * no degree of freedom; the fixed total removes one more. If such a variant nevertheless has
 * visitors, assignment is certainly broken (no visitor could have reached it): pValue = 0 and
 * detected = true, while chiSquare still covers only the other variants so it stays finite.
 * When no visitors were exposed at all, or only one variant can receive traffic, there is nothing
 * to test: pValue = 1, detected = false (barring the certain mismatch above).
 *
 * The chi-square distribution is a large-sample approximation; it is good once every expected
 * count is about 5 or more, which holds long before SRM matters in practice, and the default
 * alpha = 0.001 keeps false alarms on small samples rare.
 *
 * Source: Fabijan, Gupchup, Gupta, Omhover, Qin, Vermeer and Dmitriev (2019), "Diagnosing Sample
 * Ratio Mismatch in Online Controlled Experiments: A Taxonomy and Rules of Thumb for
 * Practitioners", KDD '19 (SRM detection by the chi-square goodness-of-fit test; the 0.001
 * threshold is STATS.md's); Kohavi, Tang and Xu (2020), "Trustworthy Online Controlled
 * Experiments", chapter 21; Pearson (1900), "On the criterion that a given system of deviations
 * ...", Philosophical Magazine 50. The tail probability is the regularised upper incomplete gamma
 * Q(df/2, x/2), via `chiSquareSurvival` of the jstat adapter.
 *
 * Complexity: O(E * K) time for E epochs and K variants, O(K) space.
 *
 * @example
 * sampleRatioMismatch([{ weights: [0.5, 0.5], visitors: [10000, 10300] }]);
 * // expected [10150, 10150], chiSquare = 2 * 150^2 / 10150 = 4.4335, df = 1
 * // => { detected: false, pValue: 0.0352..., chiSquare: 4.4335..., degreesOfFreedom: 1, ... }
 *
 * @throws StatsInputError naming the field: `allocationEpochs` when it is not a non-empty array;
 *   `allocationEpochs[e]` when an epoch is not an object; `allocationEpochs[e].weights` /
 *   `.visitors` when not an array of length K (K >= 2, the same in every epoch, taken from
 *   epoch 0) or, for weights, when they do not sum to 1 within 1e-6;
 *   `allocationEpochs[e].weights[i]` unless a finite number >= 0;
 *   `allocationEpochs[e].visitors[i]` unless a non-negative integer; `options.alpha` unless a
 *   finite number in (0, 1).
 */
export function sampleRatioMismatch(
  epochs: readonly AllocationEpoch[],
  options: SrmOptions | null = {},
): SrmResult {
  const alpha = options?.alpha ?? DEFAULT_SRM_ALPHA;
  assertFinite(alpha, 'options.alpha');
  if (alpha <= 0 || alpha >= 1) {
    throw new StatsInputError('options.alpha', `must be in (0, 1), got ${alpha}`);
  }

  if (!Array.isArray(epochs) || epochs.length === 0) {
    throw new StatsInputError('allocationEpochs', 'must be a non-empty array of epochs');
  }
  const k = variantCount(epochs);

  const expected: number[] = new Array<number>(k).fill(0);
  const observed: number[] = new Array<number>(k).fill(0);
  // An index loop, not forEach: holes in a sparse array are reported, not skipped.
  for (let e = 0; e < epochs.length; e++) {
    const epoch = epochs[e]!;
    const field = `allocationEpochs[${e}]`;
    let weightSum = 0;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const w = epoch.weights[i];
      assertFinite(w, `${field}.weights[${i}]`);
      if (w < 0) throw new StatsInputError(`${field}.weights[${i}]`, `must be >= 0, got ${w}`);
      weightSum += w;
      const n = epoch.visitors[i];
      assertCount(n, `${field}.visitors[${i}]`);
      total += n;
    }
    if (Math.abs(weightSum - 1) > WEIGHT_SUM_TOLERANCE) {
      throw new StatsInputError(`${field}.weights`, `must sum to 1, got ${weightSum}`);
    }
    for (let i = 0; i < k; i++) {
      // A weight that could not send a millionth of a visitor is a structural zero.
      const w = epoch.weights[i]! < MIN_WEIGHT ? 0 : epoch.weights[i]!;
      expected[i]! += (total * w) / weightSum;
      observed[i]! += epoch.visitors[i]!;
    }
  }

  let chiSquare = 0;
  let cells = 0;
  let impossible = false;
  for (let i = 0; i < k; i++) {
    const o = observed[i]!;
    const x = expected[i]!;
    if (x > 0) {
      chiSquare += ((o - x) * (o - x)) / x;
      cells++;
    } else if (o > 0) {
      impossible = true;
    }
  }
  const degreesOfFreedom = Math.max(0, cells - 1);

  let pValue: number;
  if (impossible) pValue = 0;
  else if (degreesOfFreedom === 0) pValue = 1;
  else pValue = chiSquareSurvival(chiSquare, degreesOfFreedom);

  return { detected: pValue < alpha, pValue, chiSquare, degreesOfFreedom, expected, observed };
}

/** Validates the epochs' shapes and returns K, the common number of variants (K >= 2). */
function variantCount(epochs: readonly AllocationEpoch[]): number {
  let k = 0;
  // An index loop, not forEach: holes in a sparse array are reported, not skipped.
  for (let e = 0; e < epochs.length; e++) {
    const epoch = epochs[e]!;
    const field = `allocationEpochs[${e}]`;
    if (epoch == null || typeof epoch !== 'object') {
      throw new StatsInputError(field, 'must be an object { weights, visitors }');
    }
    for (const key of ['weights', 'visitors'] as const) {
      const values: unknown = epoch[key];
      if (!Array.isArray(values)) {
        throw new StatsInputError(`${field}.${key}`, 'must be an array with one entry per variant');
      }
      if (e === 0 && key === 'weights') {
        k = values.length;
        if (k < 2) {
          throw new StatsInputError(`${field}.weights`, `must have at least 2 variants, got ${k}`);
        }
      } else if (values.length !== k) {
        throw new StatsInputError(
          `${field}.${key}`,
          `must have ${k} entries (one per variant, as in allocationEpochs[0].weights), got ${values.length}`,
        );
      }
    }
  }
  return k;
}
