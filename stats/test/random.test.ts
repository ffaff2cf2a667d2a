/**
 * createRandom and seedFrom (stats/src/random.ts): seeded variates for the planner and the
 * projections.
 *
 * Every distributional check compares a sample moment of N seeded draws with the distribution's
 * closed-form moment, with a tolerance of 5 standard errors of that sample moment:
 *   - mean:     SE = sqrt(var / N),
 *   - variance: SE = sqrt((mu4 - var^2) / N), mu4 the fourth central moment (large-sample
 *     variance of the sample variance),
 *   - a share:  SE = sqrt(q (1 - q) / N).
 * At 5 SE a correct generator fails with probability below 1e-6 per check (and the seeds are
 * fixed, so a pass is reproducible); a wrong constant or a biased method is off by many SE.
 * The fourth moments used are closed forms: normal 3, uniform 1/80, Gamma(k) 3k^2 + 6k,
 * Binomial(n, p) npq (1 + 3 (n - 2) pq).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createRandom, type Random, seedFrom } from '../src/random.js';
import { expectClose } from './support/expect-close.js';

const N = 200_000;

function draw(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample variance, ddof = 1, two-pass for accuracy. */
function variance(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (xs.length - 1);
}

/** mean within 5 SE of `expected`, SE = sqrt(trueVariance / n). */
function expectMean(xs: readonly number[], expected: number, trueVariance: number, what: string) {
  expectClose(mean(xs), expected, 5 * Math.sqrt(trueVariance / xs.length), `${what} mean`);
}

/** sample variance within 5 SE of `expected`, SE = sqrt((mu4 - var^2) / n). */
function expectVariance(xs: readonly number[], expected: number, mu4: number, what: string) {
  const se = Math.sqrt((mu4 - expected * expected) / xs.length);
  expectClose(variance(xs), expected, 5 * se, `${what} variance`);
}

/** share of xs satisfying `predicate` within 5 SE of q. */
function expectShare(
  xs: readonly number[],
  predicate: (x: number) => boolean,
  q: number,
  what: string,
) {
  const share = xs.filter(predicate).length / xs.length;
  expectClose(share, q, 5 * Math.sqrt((q * (1 - q)) / xs.length), what);
}

describe('seedFrom (32-bit FNV-1a)', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    // draft-eastlake-fnv test vectors (ASCII, so UTF-16 code units equal the bytes).
    expect(seedFrom('')).toBe(0x811c9dc5);
    expect(seedFrom('a')).toBe(0xe40c292c);
    expect(seedFrom('foobar')).toBe(0xbf9cf968);
  });

  it('is deterministic, an unsigned 32-bit integer, and differs for different strings', () => {
    const texts = ['', 'a', 'b', 'ab', 'ba', '[0.03,0.06]', '[0.03,0.061]', 'control', 'contro1'];
    const seeds = texts.map(seedFrom);
    expect(texts.map(seedFrom)).toEqual(seeds);
    expect(new Set(seeds).size).toBe(texts.length);
    for (const s of seeds) {
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    }
  });

  it('changes when a single character of a long input changes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.nat(), (text, at) => {
        const i = at % text.length;
        const changed =
          text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
        // FNV-1a is injective on a single-code-unit change at a fixed position (xor then an odd
        // multiplier, both bijections mod 2^32), so the hashes must differ.
        expect(seedFrom(changed)).not.toBe(seedFrom(text));
      }),
      { numRuns: 200 },
    );
  });
});

describe('createRandom: determinism', () => {
  const sequence = (r: Random) => [
    r.uniform(),
    r.normal(),
    r.normal(),
    r.gamma(0.3),
    r.gamma(2.5),
    r.beta(2, 5),
    r.binomial(30, 0.2),
    r.binomial(100_000, 0.3),
    r.uniform(),
  ];

  it('gives the same sequence for the same seed and a different one for another seed', () => {
    expect(sequence(createRandom(42))).toEqual(sequence(createRandom(42)));
    expect(sequence(createRandom(42))).not.toEqual(sequence(createRandom(43)));
    // seedFrom's unsigned seeds above 2^31 are valid seeds too.
    const big = seedFrom('foobar');
    expect(big).toBeGreaterThan(2 ** 31);
    expect(sequence(createRandom(big))).toEqual(sequence(createRandom(big)));
  });

  it('never touches Math.random', () => {
    const spy = vi.spyOn(Math, 'random');
    try {
      sequence(createRandom(7));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('createRandom: uniform', () => {
  const xs = draw(N, createRandom(1).uniform);

  it('lies in [0, 1)', () => {
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('has mean 1/2 and variance 1/12 (5 SE)', () => {
    expectMean(xs, 0.5, 1 / 12, 'uniform');
    expectVariance(xs, 1 / 12, 1 / 80, 'uniform');
  });

  it('puts 1/10 of the draws in each tenth of [0, 1) (5 SE per bin)', () => {
    for (let b = 0; b < 10; b++) {
      expectShare(xs, (x) => Math.floor(x * 10) === b, 0.1, `uniform bin ${b}`);
    }
  });
});

describe('createRandom: normal', () => {
  const xs = draw(N, createRandom(2).normal);

  it('has mean 0 and variance 1 (5 SE; fourth moment 3)', () => {
    expectMean(xs, 0, 1, 'normal');
    expectVariance(xs, 1, 3, 'normal');
  });

  it('puts 68.27% of the draws within one standard deviation and 95.45% within two', () => {
    // Phi(1) - Phi(-1) = erf(1/sqrt 2) = 0.682689492..., erf(sqrt 2) = 0.954499736...
    expectShare(xs, (x) => Math.abs(x) < 1, 0.6826894921370859, 'P(|Z| < 1)');
    expectShare(xs, (x) => Math.abs(x) < 2, 0.9544997361036416, 'P(|Z| < 2)');
  });
});

describe('createRandom: gamma(shape, 1)', () => {
  for (const [shape, seed] of [
    [0.3, 3],
    [1, 4],
    [2.5, 5],
    [40, 6],
  ] as const) {
    it(`shape ${shape}: positive, mean = variance = shape (5 SE; mu4 = 3k^2 + 6k)`, () => {
      const random = createRandom(seed);
      const xs = draw(N, () => random.gamma(shape));
      expect(xs.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
      expectMean(xs, shape, shape, `gamma(${shape})`);
      expectVariance(xs, shape, 3 * shape * shape + 6 * shape, `gamma(${shape})`);
    });
  }

  it('shape 1 is the standard exponential: P(X <= 1) = 1 - 1/e (5 SE)', () => {
    const random = createRandom(8);
    const xs = draw(N, () => random.gamma(1));
    expectShare(xs, (x) => x <= 1, 1 - Math.exp(-1), 'P(Exp(1) <= 1)');
  });

  it('shape 0.3 (the U^(1/a) boost): P(X <= 0.01) = P(0.3, 0.01) (5 SE)', () => {
    // Regularised lower incomplete gamma by its series, independent of the engine:
    // P(a, x) = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1) ... (a + k)),
    // Gamma(1.3) = 0.897470696306277 (tables).
    const a = 0.3;
    const x = 0.01;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 30; k++) {
      term *= x / (a + k);
      sum += term;
    }
    const p = ((x ** a * Math.exp(-x)) / 0.897470696306277) * sum;
    const random = createRandom(9);
    const xs = draw(N, () => random.gamma(a));
    expectShare(xs, (v) => v <= x, p, 'P(Gamma(0.3) <= 0.01)');
  });
});

describe('createRandom: beta(a, b)', () => {
  for (const [a, b, seed] of [
    [2, 5, 10],
    [0.5, 0.5, 11],
    [30, 970, 12],
    [1, 19, 13],
  ] as const) {
    it(`Beta(${a}, ${b}): in [0, 1], mean a / (a + b), variance ab / ((a+b)^2 (a+b+1))`, () => {
      const random = createRandom(seed);
      const xs = draw(N, () => random.beta(a, b));
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      const s = a + b;
      const v = (a * b) / (s * s * (s + 1));
      expectMean(xs, a / s, v, `beta(${a}, ${b})`);
      // The sample variance is checked to 5% relative: its relative SE is sqrt((kurtosis - 1) / N),
      // largest here for Beta(1, 19) (kurtosis 6.99) at 0.55%, so 5% is more than 9 SE for
      // every shape listed (the Beta kurtosis is a long closed form, hence the coarser bound).
      expectClose(variance(xs), v, 0.05 * v, `beta(${a}, ${b}) variance`);
    });
  }

  // For small shapes both gamma draws underflow to 0 in linear space (Gamma(a) = Gamma(a + 1)
  // U^(1/a), and U^1000 is below the smallest double for U < 0.48): the ratio must be formed in
  // log space. A Beta(0.001, 0.001) variate is 0 or 1 to double precision, each half the time,
  // never NaN; the projection reaches such shapes with a user prior like Beta(0.001, 0.001).
  it('Beta(0.001, 0.001) never returns NaN (both gamma draws underflow)', () => {
    const random = createRandom(1);
    const xs = draw(1000, () => random.beta(0.001, 0.001));
    expect(xs.filter((x) => !(x >= 0 && x <= 1))).toEqual([]);
    // Symmetric: half the draws above 1/2, within 5 binomial SE (5 * sqrt(0.25 / 1000) = 0.079).
    const above = xs.filter((x) => x > 0.5).length / xs.length;
    expect(Math.abs(above - 0.5)).toBeLessThan(0.079);
  });
});

describe('createRandom: binomial(n, p)', () => {
  /** Fourth central moment of Binomial(n, p): npq (1 + 3 (n - 2) pq). */
  const mu4 = (n: number, p: number) => {
    const q = 1 - p;
    return n * p * q * (1 + 3 * (n - 2) * p * q);
  };

  // Regimes: n min(p, 1 - p) < 50 uses inversion (p > 1/2 by reflection), else the normal
  // approximation with continuity correction.
  const cases: readonly (readonly [number, number, string])[] = [
    [10, 0.3, 'inversion'],
    [1000, 0.01, 'inversion'],
    [99, 0.5, 'inversion, n p = 49.5'],
    [20, 0.9, 'inversion by reflection'],
    [1_000_000, 0.00002, 'inversion, tiny p'],
    [100, 0.5, 'normal approximation, n p = 50'],
    [100_000, 0.3, 'normal approximation'],
    [100_000, 0.7, 'normal approximation by reflection'],
  ];

  cases.forEach(([n, p, regime], i) => {
    it(`Binomial(${n}, ${p}) (${regime}): integers in [0, n], mean np, variance np(1-p)`, () => {
      const random = createRandom(100 + i);
      const xs = draw(100_000, () => random.binomial(n, p));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= n)).toBe(true);
      const v = n * p * (1 - p);
      expectMean(xs, n * p, v, `binomial(${n}, ${p})`);
      // For the normal approximation, rounding adds 1/12 to the variance (Sheppard), far
      // below 5 SE (about 5 * sqrt(2 / 1e5) * v = 0.022 v).
      expectVariance(xs, v, mu4(n, p), `binomial(${n}, ${p})`);
    });
  });

  it('matches the exact probability mass function of Binomial(10, 0.3) and (20, 0.9) (5 SE per k)', () => {
    const pmf = (n: number, p: number, k: number) => {
      let c = 1;
      for (let j = 0; j < k; j++) c = (c * (n - j)) / (j + 1);
      return c * p ** k * (1 - p) ** (n - k);
    };
    for (const [n, p, seed] of [
      [10, 0.3, 20],
      [20, 0.9, 21],
    ] as const) {
      const random = createRandom(seed);
      const xs = draw(N, () => random.binomial(n, p));
      for (let k = 0; k <= n; k++) {
        const q = pmf(n, p, k);
        if (q * N < 20) continue; // too rare to test by counting
        expectShare(xs, (x) => x === k, q, `P(Binomial(${n}, ${p}) = ${k})`);
      }
    }
  });

  it('handles the edges exactly: p = 0 gives 0, p = 1 gives n, n = 0 gives 0', () => {
    const random = createRandom(30);
    for (const n of [0, 1, 7, 49, 50, 1000, 100_000]) {
      expect(random.binomial(n, 0)).toBe(0);
      expect(random.binomial(n, 1)).toBe(n);
    }
    for (const p of [0, 0.001, 0.3, 0.5, 0.99, 1]) expect(random.binomial(0, p)).toBe(0);
  });

  it('always returns an integer in [0, n] (fast-check over n and p)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (n, p, seed) => {
          const random = createRandom(seed);
          for (let j = 0; j < 5; j++) {
            const x = random.binomial(n, p);
            expect(Number.isInteger(x) && x >= 0 && x <= n, `binomial(${n}, ${p}) = ${x}`).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
