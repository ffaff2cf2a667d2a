import { describe, expect, it } from 'vitest';
import { jamesSteinShrinkage } from '../src/shrinkage.js';
import { fieldOf } from './support/field-of.js';

const withSe = (estimates: number[], standardErrors: number[]) =>
  estimates.map((estimate, i) => ({ estimate, standardError: standardErrors[i]! }));

describe('jamesSteinShrinkage', () => {
  it('shrinks five experiments towards their mean (hand computed)', () => {
    // d = 0.05, -0.01, 0.02, 0.03, 0.01: dbar = 0.10 / 5 = 0.02.
    // d - dbar = 0.03, -0.03, 0, 0.01, -0.01; S = 9e-4 + 9e-4 + 0 + 1e-4 + 1e-4 = 2e-3.
    // se^2 = 1e-4, 4e-4, 1e-4, 4e-4, 1e-4; sigma2 = 1.1e-3 / 5 = 2.2e-4.
    // B = (5 - 3) * 2.2e-4 / 2e-3 = 0.22; d_JS = 0.02 + 0.78 * (d - dbar)
    //   = 0.0434, -0.0034, 0.02, 0.0278, 0.0122.
    const result = jamesSteinShrinkage(
      withSe([0.05, -0.01, 0.02, 0.03, 0.01], [0.01, 0.02, 0.01, 0.02, 0.01]),
    );
    expect(result.shrinkageFactor).toBeCloseTo(0.22, 12);
    expect(result.grandMean).toBeCloseTo(0.02, 14);
    const expected = [0.0434, -0.0034, 0.02, 0.0278, 0.0122];
    expect(result.estimates).toHaveLength(5);
    result.estimates.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[i]!, 14);
    });
  });

  it('is scale invariant in B and equivariant in the estimates, even for huge inputs', () => {
    // Multiplying every d and se by c leaves B unchanged and multiplies d_JS by c.
    const c = 1e300;
    const result = jamesSteinShrinkage(
      withSe(
        [0.05, -0.01, 0.02, 0.03, 0.01].map((x) => x * c),
        [0.01, 0.02, 0.01, 0.02, 0.01].map((x) => x * c),
      ),
    );
    expect(result.shrinkageFactor).toBeCloseTo(0.22, 12);
    const expected = [0.0434, -0.0034, 0.02, 0.0278, 0.0122];
    result.estimates.forEach((x, i) => {
      expect(x / c).toBeCloseTo(expected[i]!, 12);
    });
  });

  it('applies no shrinkage with fewer than four experiments', () => {
    const result = jamesSteinShrinkage(withSe([0.05, -0.01, 0.02], [0.1, 0.1, 0.1]));
    expect(result.shrinkageFactor).toBe(0);
    expect(result.estimates).toEqual([0.05, -0.01, 0.02]);
    expect(result.grandMean).toBeCloseTo(0.02, 14);
    expect(jamesSteinShrinkage([])).toEqual({ shrinkageFactor: 0, grandMean: 0, estimates: [] });
  });

  it('sets every estimate to the mean when all estimates are equal (B = 1, no 0/0)', () => {
    const result = jamesSteinShrinkage(withSe([0.03, 0.03, 0.03, 0.03, 0.03], [0, 0, 0, 0, 0]));
    expect(result.shrinkageFactor).toBe(1);
    expect(result.grandMean).toBe(0.03);
    expect(result.estimates).toEqual([0.03, 0.03, 0.03, 0.03, 0.03]);
    const noisy = jamesSteinShrinkage(withSe([0.1, 0.1, 0.1, 0.1], [0.02, 0.01, 0.03, 0.02]));
    expect(noisy.shrinkageFactor).toBe(1);
    expect(noisy.estimates).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('caps B at 1 when the noise dwarfs the spread (positive part)', () => {
    // d = 0, 0.001, 0.002, 0.003: dbar = 0.0015, S = 2 * 2.25e-6 + 2 * 2.5e-7 = 5e-6;
    // sigma2 = 0.05^2 = 2.5e-3; (k - 3) * sigma2 / S = 500 -> B = 1, every d_JS = 0.0015.
    const result = jamesSteinShrinkage(withSe([0, 0.001, 0.002, 0.003], [0.05, 0.05, 0.05, 0.05]));
    expect(result.shrinkageFactor).toBe(1);
    for (const x of result.estimates) expect(x).toBeCloseTo(0.0015, 15);
  });

  it('does not shrink exact estimates (every se = 0)', () => {
    const result = jamesSteinShrinkage(withSe([0.01, 0.02, 0.04, 0.08], [0, 0, 0, 0]));
    expect(result.shrinkageFactor).toBe(0);
    const expected = [0.01, 0.02, 0.04, 0.08];
    result.estimates.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[i]!, 15);
    });
  });

  it('rejects invalid effects, naming the field', () => {
    expect(
      fieldOf(() => jamesSteinShrinkage(withSe([0.1, Number.NaN, 0.2, 0.3], [0.1, 0.1, 0.1, 0.1]))),
    ).toBe('effects[1].estimate');
    expect(fieldOf(() => jamesSteinShrinkage(withSe([0.1, 0.2, 0.3], [0.1, 0.1, -0.1])))).toBe(
      'effects[2].standardError',
    );
    expect(fieldOf(() => jamesSteinShrinkage(withSe([0.1, 0.2], [Infinity, 0.1])))).toBe(
      'effects[0].standardError',
    );
    expect(
      fieldOf(() =>
        jamesSteinShrinkage([null] as unknown as { estimate: number; standardError: number }[]),
      ),
    ).toBe('effects[0]');
  });
});
