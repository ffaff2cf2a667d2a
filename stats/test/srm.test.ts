import { describe, expect, it } from 'vitest';
import { type AllocationEpoch, sampleRatioMismatch } from '../src/srm.js';
import { fieldOf } from './support/field-of.js';

/**
 * Independent chi-square(1) upper tail: P(X >= x) = erfc(sqrt(x / 2)), with
 * erf(z) = 2/sqrt(pi) * exp(-z^2) * sum_{n>=0} (2 z^2)^n z / (1 * 3 * ... * (2n + 1))
 * (Abramowitz and Stegun 7.1.6; every term positive, so the sum itself has no cancellation).
 */
function chiSquare1Survival(x: number): number {
  const z = Math.sqrt(x / 2);
  let term = z;
  let sum = z;
  for (let n = 1; n < 500 && term > 1e-18 * sum; n++) {
    term *= (2 * z * z) / (2 * n + 1);
    sum += term;
  }
  return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
}

const epoch = (weights: number[], visitors: number[]): AllocationEpoch => ({ weights, visitors });

describe('chiSquare1Survival (test helper)', () => {
  it('matches textbook quantiles of chi-square(1)', () => {
    // 3.841459 and 10.827566 are the 95% and 99.9% quantiles of chi-square(1).
    expect(chiSquare1Survival(3.841458820694124)).toBeCloseTo(0.05, 12);
    expect(chiSquare1Survival(10.827566170662733)).toBeCloseTo(0.001, 12);
  });
});

describe('sampleRatioMismatch', () => {
  it('does not flag 10,000 vs 10,300 at 50/50 (chi-square 4.43, p = 0.035)', () => {
    // Expected 10,150 each; chi-square = 2 * 150^2 / 10,150 = 4.43349...
    const result = sampleRatioMismatch([epoch([0.5, 0.5], [10000, 10300])]);
    const x = (2 * 150 ** 2) / 10150;
    expect(result.expected).toEqual([10150, 10150]);
    expect(result.observed).toEqual([10000, 10300]);
    expect(result.chiSquare).toBeCloseTo(x, 10);
    expect(result.chiSquare).toBeCloseTo(4.4335, 4);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.pValue).toBeCloseTo(chiSquare1Survival(x), 11);
    expect(result.pValue).toBeCloseTo(0.0352, 4);
    expect(result.detected).toBe(false);
  });

  it('flags 10,000 vs 10,600 at 50/50', () => {
    // Expected 10,300 each; chi-square = 2 * 300^2 / 10,300 = 17.4757..., p ~ 2.9e-5.
    const result = sampleRatioMismatch([epoch([0.5, 0.5], [10000, 10600])]);
    const x = (2 * 300 ** 2) / 10300;
    expect(result.chiSquare).toBeCloseTo(x, 10);
    const reference = chiSquare1Survival(x);
    expect(Math.abs(result.pValue - reference)).toBeLessThan(1e-6 * reference);
    expect(result.pValue).toBeLessThan(0.001);
    expect(result.detected).toBe(true);
  });

  it('gives p = exp(-x/2) exactly for three variants (df = 2)', () => {
    // Weights 0.5/0.25/0.25 over 10,000 visitors: expected 5,000, 2,500, 2,500.
    // chi-square = 0 + 100^2/2500 + 100^2/2500 = 8; P(chi-square(2) >= 8) = exp(-4) = 0.0183.
    const result = sampleRatioMismatch([epoch([0.5, 0.25, 0.25], [5000, 2600, 2400])]);
    expect(result.chiSquare).toBeCloseTo(8, 12);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-4), 12);
    expect(result.detected).toBe(false);
    expect(
      sampleRatioMismatch([epoch([0.5, 0.25, 0.25], [5000, 2600, 2400])], { alpha: 0.05 }),
    ).toMatchObject({ detected: true });
  });

  it('sums expectations over allocation epochs instead of using the final weights', () => {
    // Epoch 1: 50/50 with 1,000 + 1,000. Epoch 2: 20/80 with 200 + 800.
    // Expected = [2000 * 0.5 + 1000 * 0.2, 2000 * 0.5 + 1000 * 0.8] = [1200, 1800] = observed.
    const epochs = [epoch([0.5, 0.5], [1000, 1000]), epoch([0.2, 0.8], [200, 800])];
    const result = sampleRatioMismatch(epochs);
    expect(result.observed).toEqual([1200, 1800]);
    expect(result.expected[0]).toBeCloseTo(1200, 9);
    expect(result.expected[1]).toBeCloseTo(1800, 9);
    expect(result.chiSquare).toBeCloseTo(0, 9);
    expect(result.pValue).toBeCloseTo(1, 9);
    expect(result.detected).toBe(false);

    // The same totals against the final 20/80 split alone: expected [600, 2400],
    // chi-square = 600^2/600 + 600^2/2400 = 600 + 150 = 750, an overwhelming "mismatch".
    const naive = sampleRatioMismatch([epoch([0.2, 0.8], [1200, 1800])]);
    expect(naive.chiSquare).toBeCloseTo(750, 9);
    expect(naive.pValue).toBeLessThan(1e-100);
    expect(naive.detected).toBe(true);
  });

  it('handles a variant added in a later epoch (df counts variants with expected > 0)', () => {
    // Expected = [500 + 300, 500 + 300, 0 + 300] = observed; df = 3 - 1 = 2.
    const result = sampleRatioMismatch([
      epoch([0.5, 0.5, 0], [500, 500, 0]),
      epoch([1 / 3, 1 / 3, 1 / 3], [300, 300, 300]),
    ]);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.chiSquare).toBeCloseTo(0, 9);
    expect(result.detected).toBe(false);
  });

  it('drops a variant that could receive no traffic and received none', () => {
    const result = sampleRatioMismatch([epoch([0.5, 0.5, 0], [10000, 10300, 0])]);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.expected).toEqual([10150, 10150, 0]);
    expect(result.chiSquare).toBeCloseTo((2 * 150 ** 2) / 10150, 10);
    expect(result.pValue).toBeCloseTo(chiSquare1Survival((2 * 150 ** 2) / 10150), 11);
  });

  it('reports a certain mismatch when a variant with weight 0 received visitors', () => {
    const result = sampleRatioMismatch([epoch([0.5, 0.5, 0], [1000, 1000, 1])]);
    expect(result.pValue).toBe(0);
    expect(result.detected).toBe(true);
    expect(Number.isFinite(result.chiSquare)).toBe(true);
    const single = sampleRatioMismatch([epoch([1, 0], [100, 1])]);
    expect(single).toMatchObject({ pValue: 0, detected: true, degreesOfFreedom: 0 });
  });

  it('returns p = 1 without visitors, or when only one variant can receive traffic', () => {
    expect(
      sampleRatioMismatch([epoch([0.5, 0.5], [0, 0]), epoch([0.3, 0.7], [0, 0])]),
    ).toMatchObject({ pValue: 1, detected: false, chiSquare: 0, observed: [0, 0] });
    expect(sampleRatioMismatch([epoch([1, 0], [250, 0])])).toMatchObject({
      pValue: 1,
      detected: false,
      degreesOfFreedom: 0,
    });
  });

  it('accepts weights summing to 1 within 1e-6 and serialises to plain JSON', () => {
    const result = sampleRatioMismatch([epoch([0.3333333, 0.3333333, 0.3333333], [10, 12, 8])]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.expected.reduce((a, b) => a + b, 0)).toBeCloseTo(30, 12);
  });

  it('rejects invalid input, naming the field', () => {
    const ok = epoch([0.5, 0.5], [10, 10]);
    expect(fieldOf(() => sampleRatioMismatch([]))).toBe('allocationEpochs');
    expect(fieldOf(() => sampleRatioMismatch([ok, epoch([-0.5, 1.5], [1, 1])]))).toBe(
      'allocationEpochs[1].weights[0]',
    );
    expect(fieldOf(() => sampleRatioMismatch([ok, ok, epoch([0.5, Number.NaN], [1, 1])]))).toBe(
      'allocationEpochs[2].weights[1]',
    );
    expect(fieldOf(() => sampleRatioMismatch([epoch([0.5, 0.6], [1, 1])]))).toBe(
      'allocationEpochs[0].weights',
    );
    expect(fieldOf(() => sampleRatioMismatch([ok, epoch([0.5, 0.5], [1, 2.5])]))).toBe(
      'allocationEpochs[1].visitors[1]',
    );
    expect(fieldOf(() => sampleRatioMismatch([epoch([0.5, 0.5], [-1, 2])]))).toBe(
      'allocationEpochs[0].visitors[0]',
    );
    expect(fieldOf(() => sampleRatioMismatch([epoch([1], [5])]))).toBe(
      'allocationEpochs[0].weights',
    );
    expect(fieldOf(() => sampleRatioMismatch([ok, epoch([0.2, 0.3, 0.5], [1, 1, 1])]))).toBe(
      'allocationEpochs[1].weights',
    );
    expect(fieldOf(() => sampleRatioMismatch([ok, epoch([0.5, 0.5], [1, 1, 1])]))).toBe(
      'allocationEpochs[1].visitors',
    );
    expect(fieldOf(() => sampleRatioMismatch([ok], { alpha: 0 }))).toBe('options.alpha');
    expect(fieldOf(() => sampleRatioMismatch([ok], { alpha: 1.5 }))).toBe('options.alpha');
  });
});
