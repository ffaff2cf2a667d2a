/**
 * Properties of chooseVariant for every valid input (fast-check; it prints the seed and the
 * shrunk counter-example on failure, pass { seed } to fc.assert to replay one), and its errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignVariant,
  chooseVariant,
  equalWeights,
  hashUnit,
  pickVariant,
  WEIGHT_SUM_TOLERANCE,
} from '../src/core/index.js';

/** Any u the function accepts: doubles in [0, 1), with 0 and values next to 1 often. */
const unit = fc.oneof(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  fc.integer({ min: 0, max: 0xffffffff }).map((h) => h / 4294967296),
  fc.constantFrom(0, 1 - 2 ** -32, 1 - 2 ** -53),
);

/** K = 1..12 raw non-negative weights (often some exactly 0) divided by their sum. */
const weightsArb = fc
  .array(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 100, noNaN: true })), {
    minLength: 1,
    maxLength: 12,
  })
  .filter((raw) => raw.some((w) => w > 0))
  .map((raw) => {
    const total = raw.reduce((a, b) => a + b, 0);
    return raw.map((w) => w / total);
  });

/** Partial sums left to right in doubles, as the specification takes them. */
function partialSums(weights: readonly number[]): number[] {
  let total = 0;
  return weights.map((w) => (total += w));
}

describe('chooseVariant', () => {
  it('returns an index in [0, K) that satisfies the definition', () => {
    fc.assert(
      fc.property(unit, weightsArb, (u, weights) => {
        const i = chooseVariant(u, weights);
        const sums = partialSums(weights);
        expect(Number.isInteger(i) && i >= 0 && i < weights.length).toBe(true);
        // u is below the boundary of i (unless i is the last variant taking a leftover) ...
        if (i < weights.length - 1) expect(u < sums[i]!).toBe(true);
        // ... and at or above every earlier boundary.
        if (i > 0) expect(u >= sums[i - 1]!).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives what pickVariant (the unchecked form the browser uses) gives', () => {
    fc.assert(
      fc.property(unit, weightsArb, (u, weights) => {
        expect(pickVariant(u, weights)).toBe(chooseVariant(u, weights));
      }),
      { numRuns: 5000 },
    );
  });

  it('is non-decreasing in u', () => {
    fc.assert(
      fc.property(unit, unit, weightsArb, (a, b, weights) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(chooseVariant(lo, weights)).toBeLessThanOrEqual(chooseVariant(hi, weights));
      }),
      { numRuns: 2000 },
    );
  });

  it('never chooses a weight-0 variant while u is below the total', () => {
    fc.assert(
      fc.property(unit, weightsArb, (u, weights) => {
        const total = partialSums(weights).at(-1)!;
        fc.pre(u < total);
        expect(weights[chooseVariant(u, weights)]).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives each of K equal variants the same share of a fine grid of u', () => {
    for (let k = 1; k <= 12; k++) {
      const weights = equalWeights(k);
      const perVariant = 1000;
      const points = k * perVariant;
      const counts = new Array<number>(k).fill(0);
      // Cell midpoints: each lies strictly inside one variant's interval of width 1/k.
      for (let j = 0; j < points; j++) counts[chooseVariant((j + 0.5) / points, weights)]!++;
      expect(counts).toEqual(new Array<number>(k).fill(perVariant));
    }
  });

  it('splits every possible hash value h / 2^32 in proportion for power-of-two shares', () => {
    // With weights that are exact binary fractions the boundaries are exact, so the count of
    // hash values per variant is exactly w_i * 2^32; checked on a 2^20 sub-grid for speed.
    const weights = [0.5, 0.125, 0.375];
    const grid = 2 ** 20;
    const counts = [0, 0, 0];
    for (let j = 0; j < grid; j++) counts[chooseVariant(j / grid, weights)]!++;
    expect(counts).toEqual(weights.map((w) => w * grid));
  });

  it('gives u equal to a boundary to the next variant with positive weight', () => {
    expect(chooseVariant(0.5, [0.5, 0.5])).toBe(1);
    expect(chooseVariant(0.25, [0.25, 0, 0, 0.75])).toBe(3);
    expect(chooseVariant(0, [0, 0.5, 0.5])).toBe(1);
  });

  it('gives the leftover above the total to the last variant, whatever its weight', () => {
    // Total 0.9999995 (within the 1e-6 tolerance): u in [0.9999995, 1) is left over.
    expect(chooseVariant(0.9999996, [0.5, 0.4999995])).toBe(1);
    expect(chooseVariant(0.9999996, [0.5, 0.4999995, 0])).toBe(2);
    expect(chooseVariant(0.9999994, [0.5, 0.4999995, 0])).toBe(1);
  });

  it('accepts weights whose sum is within the tolerance of 1 and no further', () => {
    expect(WEIGHT_SUM_TOLERANCE).toBe(1e-6);
    expect(chooseVariant(0.5, [0.5, 0.4999991])).toBe(1);
    expect(chooseVariant(0.5, [0.5, 0.5000009])).toBe(1);
    expect(() => chooseVariant(0.5, [0.5, 0.499998])).toThrow(/sum to 1/);
    expect(() => chooseVariant(0.5, [0.5, 0.500002])).toThrow(/sum to 1/);
  });

  it('throws a RangeError for an empty allocation', () => {
    expect(() => chooseVariant(0.5, [])).toThrow(RangeError);
    expect(() => chooseVariant(0.5, [])).toThrow(/at least one variant/);
  });

  it.each([
    [[-0.1, 1.1], 'weights[0]'],
    [[0.5, Number.NaN, 0.5], 'weights[1]'],
    [[0.5, Number.POSITIVE_INFINITY], 'weights[1]'],
    [[0.5, Number.NEGATIVE_INFINITY, 1], 'weights[1]'],
    [[0.5, '0.5' as unknown as number], 'weights[1]'],
    [[0.5, undefined as unknown as number], 'weights[1]'],
    [[0.5, null as unknown as number], 'weights[1]'],
  ])('throws a RangeError naming the bad weight in %j', (weights, field) => {
    expect(() => chooseVariant(0.5, weights)).toThrow(RangeError);
    expect(() => chooseVariant(0.5, weights)).toThrow(`${field} must be a finite number >= 0`);
  });

  it('checks every weight, whatever u is', () => {
    // Stopping at the chosen variant would make the error depend on the visitor.
    expect(() => chooseVariant(0, [1, -1, 1])).toThrow(RangeError);
    expect(() => chooseVariant(0, [0.5, 0.5, Number.NaN])).toThrow(RangeError);
    expect(() => chooseVariant(0, [1, 1])).toThrow(RangeError);
  });

  it.each([-0.1, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.MIN_VALUE, '0.5', null])(
    'throws a RangeError for u = %s',
    (u) => {
      expect(() => chooseVariant(u as number, [0.5, 0.5])).toThrow(RangeError);
      expect(() => chooseVariant(u as number, [0.5, 0.5])).toThrow(
        /u must be a number in \[0, 1\)/,
      );
    },
  );

  it('accepts -0 as u = 0', () => {
    expect(chooseVariant(-0, [0.5, 0.5])).toBe(0);
  });
});

describe('equalWeights', () => {
  it('returns k copies of 1/k that chooseVariant accepts', () => {
    for (let k = 1; k <= 100; k++) {
      const weights = equalWeights(k);
      expect(weights).toHaveLength(k);
      expect(weights.every((w) => w === 1 / k)).toBe(true);
      expect(chooseVariant(1 - 2 ** -53, weights)).toBe(k - 1);
    }
    expect(equalWeights(4)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32])(
    'throws a RangeError for k = %s',
    (k) => {
      expect(() => equalWeights(k)).toThrow(RangeError);
    },
  );
});

describe('assignVariant', () => {
  it('is chooseVariant of hashUnit', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), weightsArb, (visitorId, experimentKey, weights) => {
        expect(assignVariant(visitorId, experimentKey, weights)).toBe(
          chooseVariant(hashUnit(visitorId, experimentKey), weights),
        );
      }),
    );
  });

  it('throws for invalid weights', () => {
    expect(() => assignVariant('user-1', 'hero_v1', [])).toThrow(RangeError);
  });
});
