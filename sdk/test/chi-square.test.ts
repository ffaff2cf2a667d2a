import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, erfc } from './support/chi-square.js';

/** erfc(z) from mpmath at 30 significant digits, rounded to the nearest double. */
const ERFC_REFERENCE: readonly [number, number][] = [
  [0, 1],
  [0.1, 0.8875370839817152],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [1.4, 0.04771488023735119],
  [1.5, 0.033894853524689274],
  [2, 0.004677734981047266],
  [2.9, 4.109787809945884e-5],
  [3, 2.209049699858544e-5],
  [3.5, 7.430983723414128e-7],
  [5, 1.537459794428035e-12],
  [10, 2.088487583762545e-45],
  [20, 5.395865611607901e-176],
];

/** Upper quantiles of chi-square(df) from scipy.stats.chi2.isf(q, df). */
const QUANTILES: readonly [df: number, q: number, x: number][] = [
  [1, 0.05, 3.8414588206941285],
  [1, 0.001, 10.827566170662733],
  [2, 0.001, 13.815510557964274],
  [3, 0.05, 7.814727903251178],
  [4, 0.001, 18.466826952903173],
  [4, 1e-9, 47.87945573114794],
  [5, 0.05, 11.070497693516355],
];

describe('erfc (test helper)', () => {
  it.each(ERFC_REFERENCE)('erfc(%d) matches mpmath to 1e-13 relative', (z, reference) => {
    expect(Math.abs(erfc(z) - reference)).toBeLessThanOrEqual(1e-13 * reference);
  });
});

describe('chiSquareSurvival (test helper)', () => {
  it.each(QUANTILES)('chi-square(%d) has upper tail %d at its scipy quantile', (df, q, x) => {
    expect(Math.abs(chiSquareSurvival(x, df) - q)).toBeLessThanOrEqual(1e-10 * q);
  });

  it('is 1 at x = 0 and vanishes far out', () => {
    for (const df of [1, 2, 3, 4, 5]) expect(chiSquareSurvival(0, df)).toBeCloseTo(1, 14);
    expect(chiSquareSurvival(2000, 1)).toBe(0);
  });
});
