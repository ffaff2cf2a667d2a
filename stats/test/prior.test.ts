import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIOR, resolvePrior } from '../src/prior.js';
import { fieldOf } from './support/field-of.js';

describe('DEFAULT_PRIOR', () => {
  it('is Beta(1, 19), tier default', () => {
    expect(DEFAULT_PRIOR).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(Object.isFrozen(DEFAULT_PRIOR)).toBe(true);
  });
});

describe('resolvePrior', () => {
  it('falls back to the default with no input', () => {
    expect(resolvePrior()).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(resolvePrior({})).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(resolvePrior({ prior: null, history: null })).toEqual(DEFAULT_PRIOR);
  });

  it('uses the user prior first, even when history would fit one', () => {
    expect(resolvePrior({ prior: { alpha: 2, beta: 50 }, history: [0.02, 0.04, 0.06] })).toEqual({
      tier: 'user',
      alpha: 2,
      beta: 50,
    });
    expect(resolvePrior({ prior: { alpha: 0.5, beta: 0.5 } })).toEqual({
      tier: 'user',
      alpha: 0.5,
      beta: 0.5,
    });
  });

  it('moment-matches a Beta to three distinct historical rates (hand computed)', () => {
    // x = 0.02, 0.04, 0.06: mu = 0.04, deviations -0.02, 0, 0.02, v = 8e-4 / 2 = 4e-4,
    // mu(1 - mu) = 0.0384, s = 0.0384 / 4e-4 - 1 = 95 (under the cap),
    // a0 = 0.04 * 95 = 3.8, b0 = 0.96 * 95 = 91.2.
    const prior = resolvePrior({ history: [0.02, 0.04, 0.06] });
    expect(prior.tier).toBe('historical');
    expect(prior.alpha).toBeCloseTo(3.8, 10);
    expect(prior.beta).toBeCloseTo(91.2, 10);
  });

  it('moment-matches a Beta to four spread-out rates (hand computed)', () => {
    // x = 0.1, 0.2, 0.3, 0.4: mu = 0.25, squares 0.0225 + 0.0025 + 0.0025 + 0.0225 = 0.05,
    // v = 0.05 / 3, mu(1 - mu) = 0.1875, s = 0.1875 * 3 / 0.05 - 1 = 10.25,
    // a0 = 0.25 * 10.25 = 2.5625, b0 = 0.75 * 10.25 = 7.6875.
    const prior = resolvePrior({ history: [0.1, 0.2, 0.3, 0.4] });
    expect(prior.tier).toBe('historical');
    expect(prior.alpha).toBeCloseTo(2.5625, 10);
    expect(prior.beta).toBeCloseTo(7.6875, 10);
    // Check the defining property independently: Beta(a, b) has the sample's mean and variance.
    const { alpha: a, beta: b } = prior;
    expect(a / (a + b)).toBeCloseTo(0.25, 12);
    expect((a * b) / ((a + b) ** 2 * (a + b + 1))).toBeCloseTo(0.05 / 3, 12);
  });

  it('caps the strength at s = 100 when the rates are nearly equal', () => {
    // x = 0.049, 0.05, 0.051: mu = 0.05, v = (1e-6 + 0 + 1e-6) / 2 = 1e-6,
    // mu(1 - mu) / v - 1 = 47499 -> s = 100, a0 = 5, b0 = 95.
    const prior = resolvePrior({ history: [0.049, 0.05, 0.051] });
    expect(prior.tier).toBe('historical');
    expect(prior.alpha).toBeCloseTo(5, 10);
    expect(prior.beta).toBeCloseTo(95, 10);
    expect(prior.alpha + prior.beta).toBeCloseTo(100, 10);
  });

  it('falls through to the default when all rates are equal (zero variance up to rounding)', () => {
    expect(resolvePrior({ history: [0.1, 0.1, 0.1] })).toEqual(DEFAULT_PRIOR);
    expect(resolvePrior({ history: [0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03] })).toEqual(
      DEFAULT_PRIOR,
    );
    expect(resolvePrior({ history: [0, 0, 0, 0] })).toEqual(DEFAULT_PRIOR);
  });

  it('falls through to the default with fewer than three rates', () => {
    expect(resolvePrior({ history: [] })).toEqual(DEFAULT_PRIOR);
    expect(resolvePrior({ history: [0.05] })).toEqual(DEFAULT_PRIOR);
    expect(resolvePrior({ history: [0.02, 0.08] })).toEqual(DEFAULT_PRIOR);
  });

  it('falls through when the variance is too large for any Beta', () => {
    // x = 0, 1, 0, 1: mu = 0.5, v = 4 * 0.25 / 3 = 1/3 >= mu(1 - mu) = 0.25.
    expect(resolvePrior({ history: [0, 1, 0, 1] })).toEqual(DEFAULT_PRIOR);
  });

  it('rejects invalid priors, naming the field', () => {
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 0, beta: 1 } }))).toBe('prior.alpha');
    expect(fieldOf(() => resolvePrior({ prior: { alpha: -1, beta: 1 } }))).toBe('prior.alpha');
    expect(fieldOf(() => resolvePrior({ prior: { alpha: Number.NaN, beta: 1 } }))).toBe(
      'prior.alpha',
    );
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 1, beta: 0 } }))).toBe('prior.beta');
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 1, beta: Infinity } }))).toBe('prior.beta');
    // Outside [0.01, 1e6] pseudo visitors: near-point masses at 0 or 1, or an immovable prior.
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 0.009, beta: 1 } }))).toBe('prior.alpha');
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 1, beta: 1e-300 } }))).toBe('prior.beta');
    expect(fieldOf(() => resolvePrior({ prior: { alpha: 1.1e6, beta: 1 } }))).toBe('prior.alpha');
    expect(fieldOf(() => resolvePrior({ prior: 'x' as unknown as { alpha: 1; beta: 1 } }))).toBe(
      'prior',
    );
    expect(resolvePrior({ prior: { alpha: 0.01, beta: 1e6 } })).toEqual({
      tier: 'user',
      alpha: 0.01,
      beta: 1e6,
    });
  });

  it('falls through when the fit is weaker than one pseudo visitor', () => {
    // [0, 1, 1, 1, 1, 0.8]: mu = 0.8, v = (0.64 + 4 * 0.04 + 0) / 5 = 0.16 = mu (1 - mu) * 1,
    // so s = 0.16 / 0.16 - 1 = 0 (up to rounding): no information, the default applies.
    expect(resolvePrior({ history: [0, 1, 1, 1, 1, 0.8] })).toEqual(DEFAULT_PRIOR);
    // [0, 0, 1, 1/3]: mu = 1/3, v = (1/9 + 1/9 + 4/9 + 0) / 3 = 2/9 = mu (1 - mu), s = 0.
    expect(resolvePrior({ history: [0, 0, 1, 1 / 3] })).toEqual(DEFAULT_PRIOR);
    // [0, 0.5, 1]: mu = 0.5, v = 0.25 = mu (1 - mu): s = 0.
    expect(resolvePrior({ history: [0, 0.5, 1] })).toEqual(DEFAULT_PRIOR);
    // [0.1, 0.5, 0.9]: mu = 0.5, v = 0.16, s = 0.25 / 0.16 - 1 = 0.5625 < 1.
    expect(resolvePrior({ history: [0.1, 0.5, 0.9] })).toEqual(DEFAULT_PRIOR);
    // [0.2, 0.5, 0.8]: v = 0.09, s = 0.25 / 0.09 - 1 = 1.78 >= 1: used, a0 = b0 = 0.889.
    const fitted = resolvePrior({ history: [0.2, 0.5, 0.8] });
    expect(fitted.tier).toBe('historical');
    expect(fitted.alpha).toBeCloseTo(0.5 * (0.25 / 0.09 - 1), 12);
  });

  it('falls through when a0 or b0 would be below 0.01', () => {
    // mu = 0.0001 / 3, v = ((2/3 * 1e-4)^2 + 2 (1/3 * 1e-4)^2) / 2 = 1e-8 / 3, so
    // s = mu (1 - mu) / v - 1 = 9999 (capped at 100) and a0 = 100 * mu = 0.0033 < 0.01.
    expect(resolvePrior({ history: [0, 0, 0.0001] })).toEqual(DEFAULT_PRIOR);
  });

  it('rejects invalid historical rates, naming the index, even when a user prior is set', () => {
    expect(fieldOf(() => resolvePrior({ history: [0.1, 0.2, 1.5] }))).toBe('history[2]');
    expect(fieldOf(() => resolvePrior({ history: [-0.01, 0.2, 0.3] }))).toBe('history[0]');
    expect(fieldOf(() => resolvePrior({ history: [0.1, Number.NaN] }))).toBe('history[1]');
    expect(
      fieldOf(() => resolvePrior({ prior: { alpha: 1, beta: 1 }, history: [0.1, 0.2, 2] })),
    ).toBe('history[2]');
    expect(fieldOf(() => resolvePrior({ history: 0.1 as unknown as number[] }))).toBe('history');
    expect(fieldOf(() => resolvePrior(null as unknown as object))).toBe('input');
  });
});
