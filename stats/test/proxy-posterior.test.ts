import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalProbabilityBest,
  type ProxyAccumulator,
  proxyPosterior,
} from '../src/proxy/index.js';
import { mulberry32 } from './support/mulberry32.js';

/**
 * Standard normal CDF written independently of the engine: erf by its Maclaurin series for
 * |x| < 3, erfc by its continued fraction (Abramowitz and Stegun 7.1.14) beyond. About 1e-14.
 */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = x;
  for (let k = 120; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}
const phiCdf = (z: number) => 0.5 * erfc(-z / Math.SQRT2);

/** Independent reference: trapezoid rule on a fine uniform grid (exponentially accurate here). */
function trapezoidPBest(means: number[], ses: number[]): number[] {
  const lo = Math.min(...means.map((m, i) => m - 12 * ses[i]!));
  const hi = Math.max(...means.map((m, i) => m + 12 * ses[i]!));
  const h = Math.min(...ses) / 40;
  const steps = Math.ceil((hi - lo) / h);
  const step = (hi - lo) / steps;
  return means.map((mi, i) => {
    let sum = 0;
    for (let s = 0; s <= steps; s++) {
      const x = lo + s * step;
      const z = (x - mi) / ses[i]!;
      let f = Math.exp(-0.5 * z * z) / (ses[i]! * Math.sqrt(2 * Math.PI));
      for (let j = 0; j < means.length; j++) if (j !== i) f *= phiCdf((x - means[j]!) / ses[j]!);
      sum += s === 0 || s === steps ? f / 2 : f;
    }
    return sum * step;
  });
}

/** Accumulator with the given sample mean and sd (ddof = 1) over n visitors. */
function summary(key: string, n: number, mean: number, sd: number): ProxyAccumulator {
  return { key, n, sumY: n * mean, sumY2: (n - 1) * sd * sd + n * mean * mean };
}

describe('independent normal CDF used as reference', () => {
  it('matches tabulated values', () => {
    expect(phiCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(phiCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(phiCdf(-3)).toBeCloseTo(0.0013498980316301, 15);
    expect(phiCdf(-6)).toBeCloseTo(9.865876450377e-10, 20);
  });
});

describe('normalProbabilityBest', () => {
  it('matches the two-variant closed form Phi((m1 - m2) / sqrt(se1^2 + se2^2))', () => {
    const cases: [number, number, number, number][] = [
      [0, 1, 1, 1],
      [0.1, 0, 0.0316, 0.0316],
      [0.02, 0, 0.01, 0.3],
      [0, 1e-3, 1, 1e-6], // standard errors six orders apart
      [5, -5, 1, 2],
      [1e6 + 1, 1e6, 1, 2], // far from the origin
      [0, 0, 1, 3],
    ];
    for (const [m1, m2, se1, se2] of cases) {
      const [p1, p2] = normalProbabilityBest([m1, m2], [se1, se2]);
      const expected = phiCdf((m1 - m2) / Math.sqrt(se1 * se1 + se2 * se2));
      expect(Math.abs(p1! - expected)).toBeLessThan(1e-9);
      expect(Math.abs(p2! - (1 - expected))).toBeLessThan(1e-9);
    }
  });

  it('matches an independent trapezoid quadrature for three and five variants', () => {
    const cases: [number[], number[]][] = [
      [
        [0, 0.1, 0.05],
        [0.05, 0.08, 0.2],
      ],
      [
        [1, 1.2, 0.9, 1.1, 1.05],
        [0.1, 0.3, 0.05, 0.2, 0.1],
      ],
      [
        [0, 0, 0],
        [1, 2, 0.5],
      ],
    ];
    for (const [means, ses] of cases) {
      const got = normalProbabilityBest(means, ses);
      const reference = trapezoidPBest(means, ses);
      got.forEach((p, i) => {
        expect(Math.abs(p - reference[i]!)).toBeLessThan(1e-9);
      });
    }
  });

  it('matches a seeded Monte Carlo for three variants (tolerance 0.003, about 6 sd)', () => {
    const means = [0.1, 0.15, 0.05];
    const ses = [0.05, 0.06, 0.1];
    const rand = mulberry32(12345);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const draws = 400_000;
    const wins = [0, 0, 0];
    for (let d = 0; d < draws; d++) {
      let best = 0;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const value = means[i]! + ses[i]! * normal();
        if (value > bestValue) {
          bestValue = value;
          best = i;
        }
      }
      wins[best]!++;
    }
    const got = normalProbabilityBest(means, ses);
    // Binomial sd of each frequency <= sqrt(0.25 / 400000) = 0.00079.
    got.forEach((p, i) => {
      expect(Math.abs(p - wins[i]! / draws)).toBeLessThan(0.003);
    });
  });

  it('handles point masses exactly', () => {
    // Point mass at 0.5 against N(0, 1): P = Phi(0.5).
    const [pm, cont] = normalProbabilityBest([0.5, 0], [0, 1]);
    expect(pm).toBeCloseTo(phiCdf(0.5), 12);
    expect(cont).toBeCloseTo(1 - phiCdf(0.5), 12);
    // Two point masses tied at 1 share Phi(1); one point mass below them gets 0.
    const tied = normalProbabilityBest([1, 1, 0, 0.5], [0, 0, 1, 0]);
    expect(tied[0]).toBeCloseTo(phiCdf(1) / 2, 12);
    expect(tied[1]).toBeCloseTo(phiCdf(1) / 2, 12);
    expect(tied[2]).toBeCloseTo(1 - phiCdf(1), 12);
    expect(tied[3]).toBe(0);
    expect(normalProbabilityBest([2, 3], [0, 0])).toEqual([0, 1]);
  });

  it('gives exactly 1/K to identical variants', () => {
    expect(normalProbabilityBest([0.3, 0.3, 0.3], [0.1, 0.1, 0.1])).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(normalProbabilityBest([0.3, 0.3], [0, 0])).toEqual([0.5, 0.5]);
  });
});

describe('proxyPosterior', () => {
  it('reports mean, se = sd / sqrt(n) and the closed-form P(best) for two variants', () => {
    const result = proxyPosterior([summary('a', 1000, 0.1, 1), summary('b', 1000, 0, 1)]);
    const se = 1 / Math.sqrt(1000);
    expect(result.cupedApplied).toBe(false);
    expect(result.variants[0]!.mean).toBeCloseTo(0.1, 12);
    expect(result.variants[0]!.standardError).toBeCloseTo(se, 12);
    expect(result.variants[0]!.pBest).toBeCloseTo(phiCdf(0.1 / Math.sqrt(2 * se * se)), 9);
    expect(result.variants[0]!.pBest).toBeCloseTo(0.987, 3);
  });

  it('gives equal P(best) when all variants are identical, and never NaN when degenerate', () => {
    const same = proxyPosterior([summary('a', 50, 0.2, 0.5), summary('b', 50, 0.2, 0.5)]);
    expect(same.variants.map((v) => v.pBest)).toEqual([0.5, 0.5]);
    const constant = proxyPosterior([summary('a', 20, 0.4, 0), summary('b', 7, 0.4, 0)]);
    expect(constant.variants.map((v) => v.pBest)).toEqual([0.5, 0.5]);
    const empty = proxyPosterior([
      { key: 'a', n: 0, sumY: 0, sumY2: 0 },
      { key: 'b', n: 0, sumY: 0, sumY2: 0 },
      { key: 'c', n: 0, sumY: 0, sumY2: 0 },
    ]);
    expect(empty.variants.map((v) => v.pBest)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    for (const v of empty.variants) expect(v.mean).toBe(0);
  });

  it('uses the pooled sd for a variant with n < 2 or zero variance', () => {
    // a: 1 visitor scoring 1; b: 3 visitors scoring 0, 0, 3; c: no visitors.
    const result = proxyPosterior([
      { key: 'a', n: 1, sumY: 1, sumY2: 1 },
      { key: 'b', n: 3, sumY: 3, sumY2: 9 },
      { key: 'c', n: 0, sumY: 0, sumY2: 0 },
    ]);
    // All four scores 1, 0, 0, 3: mean 1, sd (ddof = 1) = sqrt((0 + 1 + 1 + 4) / 3) = sqrt(2).
    const [a, b, c] = result.variants;
    expect(a!.standardErrorSource).toBe('pooled');
    expect(a!.standardError).toBeCloseTo(Math.SQRT2, 12);
    expect(b!.standardErrorSource).toBe('variant');
    expect(b!.standardError).toBeCloseTo(Math.sqrt(3 / 3), 12); // var(0, 0, 3) = 3
    expect(c!.mean).toBeCloseTo(1, 12);
    expect(c!.standardError).toBeCloseTo(Math.SQRT2, 12);
    const reference = trapezoidPBest([1, 1, 1], [Math.SQRT2, 1, Math.SQRT2]);
    result.variants.forEach((v, i) => {
      expect(v.pBest).toBeCloseTo(reference[i]!, 9);
    });
  });

  const variantArbitrary = fc
    .record({
      n: fc.integer({ min: 0, max: 5000 }),
      mean: fc.double({ min: -3, max: 3, noNaN: true }),
      sd: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
      meanX: fc.double({ min: -2, max: 2, noNaN: true }),
      sdX: fc.double({ min: 0, max: 2, noNaN: true }),
      rho: fc.double({ min: -1, max: 1, noNaN: true }),
    })
    .map(({ n, mean, sd, meanX, sdX, rho }) => ({
      n,
      sumY: n * mean,
      sumY2: n === 0 ? 0 : Math.max(0, n - 1) * sd * sd + n * mean * mean,
      sumX: n * meanX,
      sumX2: n === 0 ? 0 : Math.max(0, n - 1) * sdX * sdX + n * meanX * meanX,
      sumXY: n === 0 ? 0 : Math.max(0, n - 1) * rho * sd * sdX + n * meanX * mean,
    }));

  it('property: P(best) sums to 1, lies in [0, 1] and does not depend on variant order', () => {
    fc.assert(
      fc.property(
        fc.array(variantArbitrary, { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1_000_000 }),
        (stats, withX, seed) => {
          const variants: ProxyAccumulator[] = stats.map((s, i) =>
            withX ? { key: `v${i}`, ...s } : { key: `v${i}`, n: s.n, sumY: s.sumY, sumY2: s.sumY2 },
          );
          const result = proxyPosterior(variants);
          const total = result.variants.reduce((sum, v) => sum + v.pBest, 0);
          expect(Math.abs(total - 1)).toBeLessThan(1e-12);
          for (const v of result.variants) {
            expect(v.pBest).toBeGreaterThanOrEqual(0);
            expect(v.pBest).toBeLessThanOrEqual(1 + 1e-15);
            expect(Number.isFinite(v.mean)).toBe(true);
            expect(Number.isFinite(v.standardError)).toBe(true);
          }
          // A seeded permutation of the variants.
          const rand = mulberry32(seed);
          const permuted = variants
            .map((v) => ({ v, r: rand() }))
            .sort((a, b) => a.r - b.r)
            .map(({ v }) => v);
          const again = proxyPosterior(permuted);
          for (const v of again.variants) {
            const original = result.variants.find((o) => o.key === v.key)!;
            expect(Math.abs(v.pBest - original.pBest)).toBeLessThan(1e-9);
          }
        },
      ),
      { numRuns: 300, seed: 20261130 },
    );
  });
});
