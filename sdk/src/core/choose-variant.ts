/**
 * From the hash u to a variant (ASSIGNMENT.md, "From u to a variant"), shared by the SDK and the
 * server. Pure functions; invalid input throws a RangeError rather than quietly sending visitors
 * somewhere the allocation did not say, and the server can validate an allocation with the same
 * checks before publishing it.
 */
import { hashUnit } from './hash.js';

/**
 * Largest accepted distance between the sum of the weights and 1. The same tolerance as the
 * stats engine's allocation and SRM checks, so every allocation they accept is accepted here.
 */
export const WEIGHT_SUM_TOLERANCE = 1e-6;

/**
 * The variant for a hash value u under an allocation (ASSIGNMENT.md): the first index i with
 * u < w_0 + ... + w_i, the partial sums taken left to right in IEEE double arithmetic (exactly
 * `sum += w`); when u is not below the total (weights summing to slightly less than 1 by
 * rounding), the last variant, whatever its weight, takes the leftover.
 *
 * Consequences worth knowing:
 * - A variant with weight 0 is never chosen while u < the total, including when u equals the
 *   partial sum in front of it; only the last variant can get the leftover u >= total, even
 *   with weight 0 (a share of 1 - total of the traffic, at most `WEIGHT_SUM_TOLERANCE`).
 * - Boundaries follow double arithmetic, not exact arithmetic: with [0.1, 0.2, 0.7] the first
 *   boundary after 0.1 is 0.1 + 0.2 = 0.30000000000000004, so u = 0.3 gives variant 1.
 * - The result is non-decreasing in u.
 *
 * Every weight is checked whatever u is, so validity never depends on the visitor.
 *
 * Source: ASSIGNMENT.md ("From u to a variant").
 *
 * Complexity: O(K) time for K variants, O(1) space.
 *
 * @example
 * chooseVariant(0.25, [0.5, 0.5]); // => 0
 * chooseVariant(0.5, [0.5, 0.5]); // => 1 (u equal to a boundary belongs to the next variant)
 * chooseVariant(0.3, [0.1, 0.2, 0.7]); // => 1 (0.1 + 0.2 = 0.30000000000000004 in doubles)
 *
 * @param u the hash value, a number in [0, 1) (from {@link hashUnit}).
 * @param weights the allocation in force, one share per variant in variant order: K >= 1 finite
 *   numbers >= 0 whose sum is 1 within `WEIGHT_SUM_TOLERANCE`.
 * @returns the variant's index, an integer in [0, K).
 * @throws RangeError when u is not a number in [0, 1) (NaN included); when weights is empty;
 *   when weights[i] is not a finite number >= 0 (the message names the index); when the weights
 *   do not sum to 1 within `WEIGHT_SUM_TOLERANCE`.
 */
export function chooseVariant(u: number, weights: readonly number[]): number {
  if (typeof u !== 'number' || !(u >= 0 && u < 1)) {
    throw new RangeError(`u must be a number in [0, 1), got ${String(u)}`);
  }
  const k = weights.length;
  if (k === 0) throw new RangeError('weights must hold at least one variant, got []');
  let total = 0;
  for (let i = 0; i < k; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !(w >= 0 && w < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`weights[${i}] must be a finite number >= 0, got ${String(w)}`);
    }
    total += w;
  }
  if (!(Math.abs(total - 1) <= WEIGHT_SUM_TOLERANCE)) {
    throw new RangeError(
      `weights must sum to 1 (within ${WEIGHT_SUM_TOLERANCE}), got ${total} for [${weights.join(', ')}]`,
    );
  }
  return pickVariant(u, weights);
}

/**
 * `chooseVariant` without its checks, for weights known to be valid (the server's published
 * allocation, or equal weights): the same index for every valid input, and never a throw (a
 * bad allocation sends everyone to one variant instead). What the browser SDK uses, so that no
 * configuration can break a page.
 *
 * Complexity: O(K) time, O(1) space.
 *
 * @param u the hash value in [0, 1).
 * @param weights one share per variant, K >= 1.
 * @returns the variant's index, an integer in [0, K) (K - 1 when u is not below the total).
 */
export function pickVariant(u: number, weights: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i] as number;
    if (u < total) return i;
  }
  return weights.length - 1;
}

/**
 * Equal weights 1/k for k variants: the allocation in force before the first allocation is
 * published (ASSIGNMENT.md). Each entry is the double nearest 1/k; their left-to-right sum may
 * differ from 1 by rounding (ten times 0.1 is 0.9999999999999999), which {@link chooseVariant}
 * accepts and settles by giving the leftover to the last variant.
 *
 * Complexity: O(k) time and space.
 *
 * @example
 * equalWeights(4); // => [0.25, 0.25, 0.25, 0.25]
 *
 * @param k number of variants, an integer >= 1.
 * @returns a new array of k copies of 1 / k.
 * @throws RangeError unless k is an integer >= 1 (and at most 2^32 - 1, the array limit).
 */
export function equalWeights(k: number): number[] {
  if (!Number.isInteger(k) || k < 1 || k > 4294967295) {
    throw new RangeError(`k must be an integer >= 1, got ${String(k)}`);
  }
  return new Array<number>(k).fill(1 / k);
}

/**
 * The variant of a visitor in an experiment under an allocation:
 * `chooseVariant(hashUnit(visitorId, experimentKey), weights)`. Deterministic: the same three
 * inputs give the same variant in the browser, in Node and on the server. Stickiness (keeping a
 * visitor's first variant after the allocation changes) is the caller's job.
 *
 * Source: ASSIGNMENT.md ("Hash", "From u to a variant").
 *
 * Complexity: O(n + K) for strings of combined length n and K variants.
 *
 * @example
 * assignVariant('user-1', 'hero_v1', [0.5, 0.5]); // => 1 (u = 0.7984439637511969)
 *
 * @param visitorId the visitor's ID (hashed as given, see {@link hashUnit}).
 * @param experimentKey the experiment's key (hashed as given).
 * @param weights the allocation in force, as for {@link chooseVariant}.
 * @returns the variant's index, an integer in [0, K).
 * @throws RangeError for invalid weights, as {@link chooseVariant} (never for the strings).
 */
export function assignVariant(
  visitorId: string,
  experimentKey: string,
  weights: readonly number[],
): number {
  return chooseVariant(hashUnit(visitorId, experimentKey), weights);
}
