/**
 * Shows that the test references themselves are right, before they are used to judge the
 * engine: each is checked against exact identities and against the other references (Evan
 * Miller's closed form vs quadrature vs seeded Monte Carlo). Nothing here imports ../src.
 */
import { describe, expect, it } from 'vitest';
import {
  integrateOverPieces,
  mirror,
  referenceBestArm,
  splitPoints,
} from './reference/best-arm-reference.js';
import {
  DifferenceDistribution,
  referenceDifferenceHdi,
} from './reference/difference-reference.js';
import { evanMillerTwoArm } from './reference/evan-miller.js';
import { GAUSS_WEIGHTS, KRONROD_NODES, KRONROD_WEIGHTS } from './reference/gauss-kronrod.js';
import {
  type BetaShape,
  betaCdf,
  betaDensity,
  betaMean,
  betaQuantile,
  betaStandardDeviation,
  logBetaCdf,
  referenceCredibleInterval,
} from './reference/incomplete-beta.js';
import { logBeta, logGamma } from './reference/log-gamma.js';
import {
  BetaSampler,
  monteCarloBestArm,
  monteCarloDifferenceMass,
} from './reference/monte-carlo.js';
import { brentRoot } from './reference/root-finding.js';
import { expectAllClose, expectClose } from './support/expect-close.js';

/** Kahan-summed ln(n!) = sum_{k<=n} ln k: an independent route to ln Gamma(n + 1). */
function logFactorial(n: number): number {
  let sum = 0;
  let compensation = 0;
  for (let k = 2; k <= n; k++) {
    const y = Math.log(k) - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  return sum;
}

describe('logGamma and logBeta', () => {
  it('match log-factorials and Gamma(1/2) = sqrt(pi)', () => {
    // Relative 1e-14: the series and recurrence are good to ~1e-15; Kahan sums to ~1e-16.
    for (const n of [1, 2, 3, 5, 9, 10, 11, 20, 50, 170, 1000, 123_456]) {
      const exact = logFactorial(n);
      expectClose(logGamma(n + 1), exact, 1e-14 * Math.max(1, exact), `lnGamma(${n + 1})`);
    }
    // Below 10 the recurrence subtracts ln(product) from lnGamma(x + m) ~ 13: ~1e-15 absolute.
    expectClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lnGamma(1/2)');
    expectClose(logGamma(1.5), 0.5 * Math.log(Math.PI) - Math.LN2, 1e-14, 'lnGamma(3/2)');
    expectClose(logGamma(0.1), 2.252712651734206, 1e-14, 'lnGamma(0.1)'); // A&S table 6.1
  });

  it('keeps ln B(a, b) accurate where ln Gamma terms would cancel (a + b ~ 1e6)', () => {
    // Exact: B(1, n) = 1 / n, B(2, n) = 1 / (n (n + 1)), B(1/2, 1/2) = pi.
    for (const n of [1, 19, 69, 1_000_019]) {
      expectClose(logBeta(1, n), -Math.log(n), 1e-14, `lnB(1, ${n})`);
      expectClose(logBeta(n, 1), -Math.log(n), 1e-14, `lnB(${n}, 1)`);
      expectClose(logBeta(2, n), -Math.log(n) - Math.log(n + 1), 1e-13, `lnB(2, ${n})`);
    }
    expectClose(logBeta(0.5, 0.5), Math.log(Math.PI), 1e-14, 'lnB(1/2, 1/2)');
    // Recurrence B(a + 1, b) = B(a, b) a / (a + b): the difference of two ln B values of size
    // ~6e5 must be right to 1e-9 (a naive lnGamma sum keeps only ~1e-9 absolute here).
    for (const [a, b] of [
      [300_000, 700_019],
      [100_001, 900_019],
      [5, 1_000_000],
      [1_000_001, 19],
    ] as const) {
      expectClose(
        logBeta(a + 1, b) - logBeta(a, b),
        Math.log(a / (a + b)),
        1e-9,
        `B(${a}+1, ${b})`,
      );
    }
    // Duplication formula B(n, n) = 2^(1 - 2n) B(1/2, n) (different code paths of logBeta).
    for (const n of [12, 1000, 500_000]) {
      expectClose(
        logBeta(n, n),
        (1 - 2 * n) * Math.LN2 + logBeta(0.5, n),
        1e-15 * n,
        `B(${n}, ${n})`,
      );
    }
  });
});

describe('regularised incomplete beta', () => {
  it('matches closed forms: I_x(1, b), I_x(a, 1), I_x(1/2, 1/2), symmetry', () => {
    for (const x of [1e-9, 1e-4, 0.02, 0.3, 0.5, 0.77, 0.999]) {
      for (const b of [1, 2.5, 69, 1_000_019]) {
        const exact = -Math.expm1(b * Math.log1p(-x));
        expectClose(betaCdf(x, 1, b), exact, 1e-14, `I_${x}(1, ${b})`);
      }
      for (const a of [0.5, 3, 1_000_001]) {
        expectClose(betaCdf(x, a, 1), x ** a, 1e-14, `I_${x}(${a}, 1)`);
      }
      const arcsine = (2 / Math.PI) * Math.asin(Math.sqrt(x));
      expectClose(betaCdf(x, 0.5, 0.5), arcsine, 1e-14, `I_${x}(1/2, 1/2)`);
      const tails = logBetaCdf(x, 3.5, 40);
      expectClose(Math.exp(tails.lower) + Math.exp(tails.upper), 1, 1e-15, 'tails add to 1');
      expectClose(
        Math.exp(tails.upper),
        betaCdf(1 - x, 40, 3.5),
        1e-14,
        'I_x(a,b) = 1 - I_1-x(b,a)',
      );
    }
    // ~1e-13 at a = 5e5: the continued fraction runs ~1,000 steps there.
    for (const a of [3, 1000, 500_000.5])
      expectClose(betaCdf(0.5, a, a), 0.5, 1e-12, `I_1/2(${a},${a})`);
  });

  it('matches 30-digit values at hard points (a, b up to 1e6, near the switch point)', () => {
    // Computed once with mpmath 1.3.0 (Python), mp.dps = 30: mp.betainc for the a = 0.5 rows,
    // mp.quad of the Beta density split into 60 panels over mean +- 40 sd for the others.
    // The values are kept as the 25-30 digit strings mpmath printed.
    const table: [number, number, number, string][] = [
      [100_001, 900_019, 0.1, '0.5016844050644726623281199'],
      [100_001, 900_019, 0.1005, '0.9523858615268160191499339'],
      [500_001, 500_019, 0.4995, '0.163047418757855003462853'],
      [500_001, 500_019, 0.5, '0.5071805044889602823697476'],
      [1_000_001, 19, 0.99998, '0.3813881923568458564826191'],
      [20_001, 20_019, 0.5, '0.5358478288299044928324166'],
      [0.5, 1_000_000.5, 1e-6, '0.8427009486150447792151494513'],
      [0.5, 1_000_000.5, 2e-6, '0.9544998710810258113750586308'],
      [0.5, 1_000_000.5, 3e-6, '0.9856942067057817042278352276'],
    ];
    for (const [a, b, x, exact] of table) {
      // 2e-11: next to the switch point of the continued fraction with very unequal a and b the
      // reference loses digits to cancellation (measured 1e-11 at worst, see logBetaCdf).
      expectClose(betaCdf(x, a, b), Number(exact), 2e-11, `I_${x}(${a}, ${b})`);
    }
    // A far tail keeps its relative accuracy: ln(1 - I_x(1000.5, 69)) at x = 0.99555267...
    const farTail = logBetaCdf(0.9955526706954194, 1000.5, 69).upper;
    expectClose(farTail, Number('-125.283202376031674884'), 1e-12 * 125, 'ln upper tail');
  });

  it('matches the binomial tail for integer parameters', () => {
    // I_x(a, b) = P(Binomial(a + b - 1, x) >= a); the pmf by its ratio recurrence.
    for (const [a, b, x] of [
      [2, 68, 0.03],
      [31, 989, 0.03],
      [81, 939, 0.1],
      [7, 3, 0.6],
    ] as const) {
      const n = a + b - 1;
      let pmf = (1 - x) ** n;
      let tail = 0;
      for (let k = 0; k <= n; k++) {
        if (k >= a) tail += pmf;
        pmf *= ((n - k) / (k + 1)) * (x / (1 - x));
      }
      expectClose(betaCdf(x, a, b), tail, 1e-13, `I_${x}(${a}, ${b})`);
    }
  });

  it('agrees with the integral of its own density at a, b ~ 1e6 (CF vs Loader density)', () => {
    for (const p of [
      { alpha: 100_001, beta: 900_019 },
      { alpha: 1_000_001, beta: 19 },
      { alpha: 500_001.5, beta: 500_019.5 },
    ]) {
      const m = betaMean(p);
      const sd = betaStandardDeviation(p);
      const lo = Math.max(m - 3 * sd, 1e-12);
      const hi = Math.min(m + 1.5 * sd, 1 - 1e-12);
      const points = splitPoints([p], lo, hi);
      const integral = integrateOverPieces(
        (x) => [betaDensity(x, p.alpha, p.beta)],
        points,
        1,
        2,
        1e-14,
      ).value[0]!;
      const difference = betaCdf(hi, p.alpha, p.beta) - betaCdf(lo, p.alpha, p.beta);
      // 1e-12: both sides are good to ~1e-13 at this size.
      expectClose(integral, difference, 1e-12, `Beta(${p.alpha}, ${p.beta}) mass`);
    }
  });

  it('gives quantiles matching closed forms (bisection to full precision)', () => {
    // 1e-14: the bisection resolves x to 1 ulp; the CDF it inverts is good to ~1e-15.
    for (const q of [0.025, 0.5, 0.975]) {
      const b = 1_000_019;
      expectClose(betaQuantile(q, 1, b), -Math.expm1(Math.log1p(-q) / b), 1e-14, `Q(${q}; 1, b)`);
      expectClose(betaQuantile(q, 4, 1), q ** 0.25, 1e-14, `Q(${q}; 4, 1)`);
      const arcsine = Math.sin((Math.PI * q) / 2) ** 2;
      expectClose(betaQuantile(q, 0.5, 0.5), arcsine, 1e-14, `Q(${q}; 1/2, 1/2)`);
    }
    const [lo, hi] = referenceCredibleInterval({ alpha: 500_001, beta: 500_019 });
    expectClose(betaCdf(lo, 500_001, 500_019), 0.025, 1e-12, 'CDF at lower bound');
    expectClose(betaCdf(hi, 500_001, 500_019), 0.975, 1e-12, 'CDF at upper bound');
  });
});

describe('Gauss-Kronrod constants', () => {
  it('K15 integrates x^k exactly up to degree 22, G7 up to degree 13', () => {
    const rule = (weights: readonly number[], nodes: readonly number[], k: number) => {
      let sum = weights[weights.length - 1]! * (k === 0 ? 1 : 0);
      for (let j = 0; j < nodes.length - 1; j++) {
        sum += weights[j]! * (nodes[j]! ** k + (-nodes[j]!) ** k);
      }
      return sum;
    };
    const gaussNodes = [1, 3, 5, 7].map((j) => KRONROD_NODES[j]!);
    for (let k = 0; k <= 22; k++) {
      const exact = k % 2 === 1 ? 0 : 2 / (k + 1);
      expectClose(rule(KRONROD_WEIGHTS, KRONROD_NODES, k), exact, 1e-15, `K15 x^${k}`);
      if (k <= 13) expectClose(rule(GAUSS_WEIGHTS, gaussNodes, k), exact, 1e-15, `G7 x^${k}`);
    }
  });
});

/** Two-arm cases where Evan Miller's closed form applies (an integer alpha or mirrored beta). */
const closedFormCases: { name: string; arms: [BetaShape, BetaShape] }[] = [
  {
    name: 'headline Beta(1,69) vs Beta(2,68)',
    arms: [
      { alpha: 1, beta: 69 },
      { alpha: 2, beta: 68 },
    ],
  },
  {
    name: 'n=100, 2 vs 5',
    arms: [
      { alpha: 3, beta: 117 },
      { alpha: 6, beta: 114 },
    ],
  },
  {
    name: 'n=1000, 30 vs 80',
    arms: [
      { alpha: 31, beta: 989 },
      { alpha: 81, beta: 939 },
    ],
  },
  {
    name: 'n=200 vs n=5000',
    arms: [
      { alpha: 5, beta: 215 },
      { alpha: 161, beta: 4859 },
    ],
  },
  {
    name: 'n=20000, 10000 vs 10150',
    arms: [
      { alpha: 10_001, beta: 10_019 },
      { alpha: 10_151, beta: 9_869 },
    ],
  },
  {
    name: 'n=1e6, c=0 vs 1',
    arms: [
      { alpha: 1, beta: 1_000_019 },
      { alpha: 2, beta: 1_000_018 },
    ],
  },
  {
    name: 'n=1e6, c=n vs n-1 (mirrored sum)',
    arms: [
      { alpha: 1_000_001, beta: 19 },
      { alpha: 1_000_000, beta: 20 },
    ],
  },
  {
    name: 'prior 0.5 on one arm',
    arms: [
      { alpha: 0.5, beta: 99.5 },
      { alpha: 4, beta: 97 },
    ],
  },
];

describe('best-arm reference: quadrature vs Evan Miller vs exact', () => {
  it.each(closedFormCases)('$name: quadrature within 1e-9 of the closed form', ({ arms }) => {
    const quad = referenceBestArm(arms);
    const closed = evanMillerTwoArm(arms[0], arms[1]);
    // 1e-9 is the reference's target; observed gaps are ~1e-12.
    expectAllClose(quad.probabilityToBeBest, closed.probabilityToBeBest, 1e-9, 'P(best)');
    expectClose(quad.expectedMax, closed.expectedMax, 1e-9, 'E[max]');
    expectClose(quad.expectedMaxBySum, quad.expectedMax, 1e-9, 'E[max] two routes');
  });

  it('gives P(best) = 1/K and E[max] = K / (K + 1) for K uniform arms (exact)', () => {
    for (const k of [2, 3, 5]) {
      const arms = Array.from({ length: k }, () => ({ alpha: 1, beta: 1 }));
      const quad = referenceBestArm(arms);
      expectAllClose(quad.probabilityToBeBest, new Array(k).fill(1 / k), 1e-12, `K=${k} P(best)`);
      expectClose(quad.expectedMax, k / (k + 1), 1e-12, `K=${k} E[max]`);
    }
  });

  it('gives P(theta_2 > theta_1) = b1 / (b1 + b2) for Beta(1, b1) vs Beta(1, b2) (exact)', () => {
    for (const [b1, b2] of [
      [69, 70],
      [1_000_019, 999_999],
      [20_019, 20],
    ] as const) {
      const quad = referenceBestArm([
        { alpha: 1, beta: b1 },
        { alpha: 1, beta: b2 },
      ]);
      expectClose(
        quad.probabilityToBeBest[1]!,
        b1 / (b1 + b2),
        1e-12,
        `Beta(1,${b1}) vs Beta(1,${b2})`,
      );
    }
  });
});

describe('best-arm reference: mirror symmetry theta -> 1 - theta', () => {
  // P(theta_A > theta_B) = P(1 - theta_B > 1 - theta_A), and E[max] = 1 - E[min] of the mirrored
  // pair = 1 - (mean'_A + mean'_B - E[max']) (min + max = sum). The mirrored pair lives near 0, the original near
  // 1, so the two halves of the reference's integration are checked against each other, with
  // non-integer shapes (where no closed form applies).
  it.each([
    [
      { alpha: 1_000_000.5, beta: 0.5 },
      { alpha: 999_999.5, beta: 1.5 },
    ],
    [
      { alpha: 19_980.5, beta: 40.5 },
      { alpha: 19_990.5, beta: 30.5 },
    ],
    [
      { alpha: 0.5, beta: 1_000_000.5 },
      { alpha: 1_000_000.5, beta: 0.5 },
    ],
  ])('Beta(%o) vs Beta(%o)', (a, b) => {
    const original = referenceBestArm([a, b]);
    // Index 0 of the mirrored pair is 1 - theta_B: it is the larger exactly when theta_A is.
    const mirrored = referenceBestArm([mirror(b), mirror(a)]);
    // 1e-10: the two evaluations differ by the incomplete beta's ~1e-11 absolute error.
    expectAllClose(original.probabilityToBeBest, mirrored.probabilityToBeBest, 1e-10, 'P(best)');
    const meanSum = betaMean(mirror(a)) + betaMean(mirror(b));
    expectClose(original.expectedMax, 1 - meanSum + mirrored.expectedMax, 1e-10, 'E[max]');
  });
});

describe('best-arm reference vs seeded Monte Carlo', () => {
  const cases: { name: string; arms: BetaShape[]; draws: number }[] = [
    {
      name: 'headline',
      arms: [
        { alpha: 1, beta: 69 },
        { alpha: 2, beta: 68 },
      ],
      draws: 200_000,
    },
    {
      name: 'K=3 moderate',
      arms: [
        { alpha: 11, beta: 189 },
        { alpha: 15, beta: 185 },
        { alpha: 8, beta: 192 },
      ],
      draws: 200_000,
    },
    {
      name: 'prior 0.5, non-integer',
      arms: [
        { alpha: 0.5, beta: 100.5 },
        { alpha: 3.5, beta: 97.5 },
        { alpha: 1.5, beta: 99.5 },
      ],
      draws: 200_000,
    },
    {
      name: 'peaked n=1e6 with a wide arm',
      arms: [
        { alpha: 100_001, beta: 900_019 },
        { alpha: 100_301, beta: 899_719 },
        { alpha: 11, beta: 109 },
      ],
      draws: 100_000,
    },
    {
      name: 'near 1, non-integer',
      arms: [
        { alpha: 1_000_000.5, beta: 0.5 },
        { alpha: 999_999.5, beta: 1.5 },
      ],
      draws: 100_000,
    },
    {
      name: 'K=10',
      arms: Array.from({ length: 10 }, (_, i) => ({ alpha: 20 + 2 * i, beta: 500 - 2 * i })),
      draws: 50_000,
    },
  ];

  it.each(cases)('$name: within 5 standard errors', ({ arms, draws }) => {
    const quad = referenceBestArm(arms);
    const mc = monteCarloBestArm(arms, draws, 20_240_611);
    // 5 SE: a false alarm has probability ~6e-7 per comparison (and the seed is fixed). The SE
    // floor 1/draws covers P(best) estimates of exactly 0 or 1.
    quad.probabilityToBeBest.forEach((p, i) => {
      const se = Math.max(mc.probabilityStandardError[i]!, 1 / draws);
      expectClose(mc.probabilityToBeBest[i]!, p, 5 * se, `P(best)[${i}]`);
    });
    expectClose(mc.expectedMax, quad.expectedMax, 5 * mc.expectedMaxStandardError, 'E[max]');
  });

  it('samples Gamma and Beta with the right mean and variance (5 SE)', () => {
    const sampler = new BetaSampler(7);
    for (const shape of [0.3, 1, 2.5, 1e6]) {
      const n = 100_000;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < n; i++) {
        const g = sampler.gamma(shape);
        sum += g;
        sumSquares += g * g;
      }
      const mean = sum / n;
      const variance = sumSquares / n - mean * mean;
      expectClose(mean, shape, 5 * Math.sqrt(shape / n), `Gamma(${shape}) mean`);
      // Var of the sample variance of a Gamma: (mu4 - sigma^4) / n with mu4 = 3 k^2 + 6 k.
      const seVariance = Math.sqrt((2 * shape * shape + 6 * shape) / n);
      expectClose(variance, shape, 5 * seVariance, `Gamma(${shape}) variance`);
    }
  });
});

describe('difference reference (density, CDF, HDI)', () => {
  it('reproduces the triangular law of Beta(1,1) - Beta(1,1) and its HDI +-(1 - sqrt(0.05))', () => {
    const uniform = { alpha: 1, beta: 1 };
    const dist = new DifferenceDistribution(uniform, uniform);
    for (const d of [-0.9, -0.5, -0.1, 0.2, 0.6, 0.95]) {
      expectClose(dist.density(d), 1 - Math.abs(d), 1e-12, `f_D(${d})`);
      const cdf = d <= 0 ? (1 + d) ** 2 / 2 : 1 - (1 - d) ** 2 / 2;
      expectClose(dist.cdf(d), cdf, 1e-12, `F_D(${d})`);
    }
    const hdi = referenceDifferenceHdi(uniform, uniform);
    const half = 1 - Math.sqrt(0.05);
    expectAllClose(hdi.interval, [-half, half], 1e-9, 'HDI');
  });

  it('has a density that integrates to 1, has mean muA - muB, and is the CDF derivative', () => {
    for (const [a, b] of [
      [
        { alpha: 3, beta: 40 },
        { alpha: 1, beta: 45 },
      ],
      [
        { alpha: 100_301, beta: 899_719 },
        { alpha: 100_001, beta: 900_019 },
      ],
    ] as const) {
      const dist = new DifferenceDistribution(a, b);
      const sd = dist.standardDeviation;
      const points = Array.from({ length: 41 }, (_, i) => dist.mean + (i - 20) * sd).filter(
        (d) => d > dist.support[0] && d < dist.support[1],
      );
      points.unshift(Math.max(dist.support[0], dist.mean - 40 * sd));
      points.push(Math.min(dist.support[1], dist.mean + 40 * sd));
      const moments = integrateOverPieces(
        (d) => {
          const f = dist.density(d);
          return [f, d * f];
        },
        points,
        2,
        1,
        1e-10,
      ).value;
      expectClose(moments[0]!, 1, 1e-9, 'mass');
      expectClose(moments[1]!, betaMean(a) - betaMean(b), 1e-9, 'mean');
      for (const z of [-1.5, 0, 2]) {
        const d = dist.mean + z * sd;
        const h = 1e-4 * sd;
        const slope = (dist.cdf(d + h) - dist.cdf(d - h)) / (2 * h);
        // Central difference error ~ h^2 f'' / 6, relative ~1e-9; CDF noise 1e-13 / h.
        expectClose(slope, dist.density(d), 1e-6 * dist.density(d), `F' = f at z=${z}`);
      }
    }
  });

  it('finds intervals holding 95% (Monte Carlo, 5 SE) with equal density at both ends', () => {
    for (const [a, b] of [
      [
        { alpha: 2, beta: 68 },
        { alpha: 1, beta: 69 },
      ],
      [
        { alpha: 3, beta: 40 },
        { alpha: 1, beta: 45 },
      ],
    ] as const) {
      const hdi = referenceDifferenceHdi(a, b);
      expectClose(hdi.mass, 0.95, 1e-10, 'mass by CDF');
      expectClose(
        hdi.densityAtEnds[0],
        hdi.densityAtEnds[1],
        1e-8 * hdi.densityAtEnds[0],
        'f(lo) = f(hi)',
      );
      const mc = monteCarloDifferenceMass(a, b, hdi.interval, 200_000, 99);
      expectClose(mc.mass, 0.95, 5 * mc.standardError, 'mass by Monte Carlo');
      // Shorter than the equal-tailed interval (the HDI is the shortest one).
      const dist = new DifferenceDistribution(a, b);
      const tol = 1e-12;
      const q = (p: number) =>
        brentRoot((d) => dist.cdf(d) - p, dist.support[0], dist.support[1], tol);
      const equalTailed = q(0.975) - q(0.025);
      expect(hdi.interval[1] - hdi.interval[0]).toBeLessThan(equalTailed);
    }
  });
});
