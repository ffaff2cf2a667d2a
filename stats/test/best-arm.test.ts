/**
 * bestArm (STATS.md section 4) against independent references written in the tests:
 * Evan Miller's closed form (two arms, integer parameters), adaptive Gauss-Kronrod quadrature
 * (test/reference/best-arm-reference.ts, target 1e-9, validated in reference.test.ts) and exact
 * identities. The engine's contract is absolute error <= 1e-6 on every P(best), expected loss
 * and E[max]; that is the tolerance used unless a case states another.
 */
import { describe, expect, it } from 'vitest';
import { bestArm } from '../src/best-arm.js';
import { cachedReferenceBestArm } from './reference/best-arm-reference.js';
import { evanMillerTwoArm } from './reference/evan-miller.js';
import { type BetaShape, betaMean } from './reference/incomplete-beta.js';
import { expectAllClose, expectClose } from './support/expect-close.js';

/** The engine's accuracy contract (STATS.md section 4). */
const CONTRACT = 1e-6;

const DEFAULT_PRIOR: BetaShape = { alpha: 1, beta: 19 };
const JEFFREYS: BetaShape = { alpha: 0.5, beta: 0.5 };

/** Posterior Beta(a0 + c, b0 + n - c). */
function posterior(visitors: number, conversions: number, prior = DEFAULT_PRIOR): BetaShape {
  return { alpha: prior.alpha + conversions, beta: prior.beta + visitors - conversions };
}

function label(arms: readonly BetaShape[]): string {
  return arms.map((p) => `Beta(${p.alpha}, ${p.beta})`).join(' vs ');
}

/** Engine vs quadrature reference on every output, within `tolerance`. */
function expectMatchesQuadrature(arms: readonly BetaShape[], tolerance = CONTRACT) {
  const engine = bestArm(arms);
  const ref = cachedReferenceBestArm(arms);
  expectAllClose(engine.probabilityToBeBest, ref.probabilityToBeBest, tolerance, 'P(best)');
  expectAllClose(engine.expectedLoss, ref.expectedLoss, tolerance, 'expected loss');
  // E[max] against the reference's int_0^1 (1 - prod_j F_j(x)) dx.
  expectClose(engine.expectedMax, ref.expectedMax, tolerance, 'E[max]');
  return engine;
}

describe('bestArm: headline case (~100 visitors, 0 vs 1 conversion, prior Beta(1, 19))', () => {
  const arms = [posterior(50, 0), posterior(50, 1)];

  it('uses posteriors Beta(1, 69) and Beta(2, 68)', () => {
    expect(arms).toEqual([
      { alpha: 1, beta: 69 },
      { alpha: 2, beta: 68 },
    ]);
  });

  it('closed form and quadrature agree within 1e-9 (so the reference is sharp)', () => {
    const closed = evanMillerTwoArm(arms[0]!, arms[1]!);
    const quad = cachedReferenceBestArm(arms);
    expectAllClose(quad.probabilityToBeBest, closed.probabilityToBeBest, 1e-9, 'P(best)');
    expectClose(quad.expectedMax, closed.expectedMax, 1e-9, 'E[max]');
    // By hand, the two terms of the sum are 69/137 and 68 * 69 / (137 * 138) = 34/137.
    expectClose(closed.probabilityToBeBest[1], 103 / 137, 1e-12, 'P(B best) = 103/137');
  });

  it('engine matches Evan Miller within 1e-6', () => {
    const engine = bestArm(arms);
    const closed = evanMillerTwoArm(arms[0]!, arms[1]!);
    expectAllClose(engine.probabilityToBeBest, closed.probabilityToBeBest, CONTRACT, 'P(best)');
    expectAllClose(engine.expectedLoss, closed.expectedLoss, CONTRACT, 'expected loss');
    expectClose(engine.expectedMax, closed.expectedMax, CONTRACT, 'E[max]');
  });
});

/** Two-arm integer cases: prior Beta(1, 19), n per arm and conversions per arm. */
const integerGrid: { name: string; arms: [BetaShape, BetaShape] }[] = [];
for (const [n, conversions] of [
  [15, [0, 1, 3]],
  [100, [0, 2, 5, 12]],
  [1000, [0, 10, 30, 80]],
  [5000, [0, 150, 180, 600]],
] as const) {
  for (const cA of conversions) {
    for (const cB of conversions) {
      if (cB < cA) continue;
      integerGrid.push({
        name: `n=${n}: ${cA} vs ${cB}`,
        arms: [posterior(n, cA), posterior(n, cB)],
      });
    }
  }
}
integerGrid.push(
  { name: 'n=200 vs n=5000 (unequal sizes)', arms: [posterior(200, 4), posterior(5000, 140)] },
  { name: 'n=15 vs n=5000', arms: [posterior(15, 3), posterior(5000, 1000)] },
  {
    name: 'user prior Beta(2, 2), n=40',
    arms: [posterior(40, 9, { alpha: 2, beta: 2 }), posterior(40, 14, { alpha: 2, beta: 2 })],
  },
);

describe('bestArm: two arms with integer parameters against Evan Miller', () => {
  it.each(integerGrid)('$name', ({ arms }) => {
    const engine = bestArm(arms);
    const closed = evanMillerTwoArm(arms[0], arms[1]);
    expectAllClose(engine.probabilityToBeBest, closed.probabilityToBeBest, CONTRACT, 'P(best)');
    expectAllClose(engine.expectedLoss, closed.expectedLoss, CONTRACT, 'expected loss');
    expectClose(engine.expectedMax, closed.expectedMax, CONTRACT, 'E[max]');
  });
});

describe('bestArm: K = 3, 5, 10 against quadrature', () => {
  const cases: { name: string; arms: BetaShape[] }[] = [
    { name: 'K=3 small', arms: [posterior(40, 1), posterior(40, 3), posterior(40, 2)] },
    { name: 'K=3 moderate', arms: [posterior(500, 25), posterior(500, 35), posterior(500, 30)] },
    {
      name: 'K=3 clear loser',
      arms: [posterior(2000, 40), posterior(2000, 100), posterior(2000, 95)],
    },
    {
      name: 'K=5 mixed sizes',
      arms: [
        posterior(20, 0),
        posterior(300, 12),
        posterior(1000, 45),
        posterior(5000, 260),
        posterior(80, 6),
      ],
    },
    {
      name: 'K=5 close',
      arms: [1000, 1010, 990, 1005, 1020].map((c) => posterior(20_000, c)),
    },
    {
      name: 'K=10 spread',
      arms: Array.from({ length: 10 }, (_, i) => posterior(400 + 50 * i, 10 + 3 * i)),
    },
    {
      name: 'K=10 with peaked and wide arms',
      arms: [
        posterior(1_000_000, 50_000),
        posterior(1_000_000, 50_150),
        posterior(100, 5),
        posterior(15, 0),
        posterior(100_000, 5_100),
        posterior(20_000, 990),
        posterior(500, 30),
        posterior(3_000, 140),
        posterior(1_000_000, 49_900),
        posterior(50_000, 2_560),
      ],
    },
  ];
  it.each(cases)('$name', ({ arms }) => {
    expectMatchesQuadrature(arms);
  });
});

describe('bestArm: very peaked posteriors (n = 20,000 .. 1,000,000)', () => {
  const cases: BetaShape[][] = [];
  for (const n of [20_000, 100_000, 1_000_000]) {
    const half = n / 2;
    const step = Math.round(0.3 * Math.sqrt(n)); // a difference of about 0.6 sd of theta
    cases.push(
      [posterior(n, 0), posterior(n, 1)],
      [posterior(n, 0), posterior(n, 3)],
      [posterior(n, n), posterior(n, n - 1)],
      [posterior(n, half), posterior(n, half + step)],
      [posterior(n, n / 10), posterior(n, n / 10 + step)],
      [posterior(n, 0), posterior(n, n), posterior(n, half)],
    );
  }
  cases.push(
    // The brief's c = 0 / c = n extremes at n = 1e6 with the default prior.
    [
      { alpha: 1, beta: 1_000_019 },
      { alpha: 2, beta: 1_000_018 },
    ],
    [
      { alpha: 1_000_001, beta: 19 },
      { alpha: 1_000_000, beta: 20 },
    ],
    // 0.10 vs 0.1003 at n = 1e6 each (a 0.3% relative lift, ~0.7 sd).
    [posterior(1_000_000, 100_000), posterior(1_000_000, 100_300)],
    // A peaked arm against a wide one (window and scale must come from each posterior).
    [posterior(100_000, 5_000), posterior(100, 5)],
    [posterior(1_000_000, 30_000), posterior(50, 2)],
    [posterior(1_000_000, 0), posterior(15, 0)],
  );
  it.each(cases.map((arms) => ({ name: label(arms), arms })))('$name', ({ arms }) => {
    expectMatchesQuadrature(arms);
  });

  it('matches Evan Miller too where the sum is short (c = 0, c = n)', () => {
    for (const arms of [
      [posterior(1_000_000, 0), posterior(1_000_000, 2)],
      [posterior(1_000_000, 1_000_000), posterior(1_000_000, 999_998)],
      [posterior(20_000, 1), posterior(20_000, 0)],
    ] as const) {
      const engine = bestArm(arms);
      const closed = evanMillerTwoArm(arms[0], arms[1]);
      expectAllClose(engine.probabilityToBeBest, closed.probabilityToBeBest, CONTRACT, label(arms));
      expectClose(engine.expectedMax, closed.expectedMax, CONTRACT, `${label(arms)} E[max]`);
    }
  });
});

describe('bestArm: non-integer priors (Beta(0.5 + c, 0.5 + n - c))', () => {
  const cases: BetaShape[][] = [
    [posterior(100, 0, JEFFREYS), posterior(100, 3, JEFFREYS)],
    [posterior(15, 0, JEFFREYS), posterior(15, 0, JEFFREYS), posterior(15, 1, JEFFREYS)],
    [posterior(1_000_000, 0, JEFFREYS), posterior(1_000_000, 1, JEFFREYS)],
    [posterior(1_000_000, 1_000_000, JEFFREYS), posterior(1_000_000, 999_999, JEFFREYS)],
    [
      posterior(20_000, 600, JEFFREYS),
      posterior(20_000, 640, JEFFREYS),
      posterior(20_000, 580, JEFFREYS),
    ],
    [posterior(500, 20, { alpha: 0.3, beta: 7.7 }), posterior(800, 40, { alpha: 0.3, beta: 7.7 })],
    // The smallest user prior the property tests allow (alpha = 0.1): x^-0.9 at 0.
    [posterior(100, 0, { alpha: 0.1, beta: 0.9 }), posterior(100, 2, { alpha: 0.1, beta: 0.9 })],
    [
      posterior(3509, 3509, { alpha: 0.1, beta: 5.390701033604615 }),
      posterior(0, 0, { alpha: 0.1, beta: 5.390701033604615 }),
      posterior(0, 0, { alpha: 0.1, beta: 5.390701033604615 }),
    ],
  ];
  it.each(cases.map((arms) => ({ name: label(arms), arms })))('$name', ({ arms }) => {
    expectMatchesQuadrature(arms);
  });
});

describe('bestArm: identical arms', () => {
  const shapes: BetaShape[] = [
    { alpha: 1, beta: 69 },
    { alpha: 31, beta: 989 },
    { alpha: 1, beta: 1_000_019 },
    { alpha: 1_000_001, beta: 19 },
    { alpha: 500_001, beta: 500_019 },
    { alpha: 0.5, beta: 1_000_000.5 },
    { alpha: 2.5, beta: 97.5 },
  ];

  it.each(shapes.map((p) => ({ name: label([p]), p })))(
    '$name: P(best) = 1/K for K = 2..5',
    ({ p }) => {
      for (let k = 2; k <= 5; k++) {
        const engine = bestArm(Array.from({ length: k }, () => p));
        // By symmetry each arm is best with probability exactly 1/K.
        expectAllClose(
          engine.probabilityToBeBest,
          new Array(k).fill(1 / k),
          CONTRACT,
          `K=${k} P(best)`,
        );
        // Every arm has the same loss, E[max] - mean.
        const losses = engine.expectedLoss;
        for (const loss of losses) expectClose(loss, losses[0]!, 1e-12, `K=${k} equal losses`);
      }
    },
  );

  it('two identical arms: loss = E|X - Y| / 2 from the closed form E[max] = 2 mu P(Beta(a+1, b) > Beta(a, b))', () => {
    // The sums run over min(alpha, beta) terms: usable when that is at most ~1e5.
    const closedFormApplies = (s: BetaShape) =>
      Number.isInteger(s.alpha) && Number.isInteger(s.beta) && Math.min(s.alpha, s.beta) <= 100_000;
    for (const p of shapes.filter(closedFormApplies)) {
      const engine = bestArm([p, p]);
      const closed = evanMillerTwoArm(p, p);
      expectAllClose(engine.expectedLoss, closed.expectedLoss, CONTRACT, `${label([p])} loss`);
    }
    // The others (non-integer, or both parameters ~5e5): against quadrature.
    for (const p of shapes.filter((s) => !closedFormApplies(s))) {
      expectMatchesQuadrature([p, p]);
    }
  });

  it('K uniform arms: E[max] = K / (K + 1) exactly, loss = K / (K + 1) - 1/2', () => {
    for (let k = 2; k <= 10; k++) {
      const engine = bestArm(Array.from({ length: k }, () => ({ alpha: 1, beta: 1 })));
      expectClose(engine.expectedMax, k / (k + 1), CONTRACT, `K=${k} E[max]`);
      expectAllClose(
        engine.expectedLoss,
        new Array(k).fill(k / (k + 1) - 0.5),
        CONTRACT,
        `K=${k} loss`,
      );
    }
  });
});

describe('bestArm: arms so far apart that P(best) is 0 or 1', () => {
  const cases: { arms: BetaShape[]; best: number }[] = [
    {
      arms: [
        { alpha: 1, beta: 1_000_019 },
        { alpha: 500_001, beta: 500_019 },
      ],
      best: 1,
    },
    { arms: [posterior(1_000_000, 2_000), posterior(1_000_000, 1_000)], best: 0 }, // ~18 sd apart
    { arms: [posterior(20_000, 200), posterior(20_000, 2_000), posterior(20_000, 600)], best: 1 },
    { arms: [posterior(1_000_000, 0), posterior(1_000_000, 1_000_000)], best: 1 },
  ];
  it.each(cases.map((c) => ({ name: label(c.arms), ...c })))('$name', ({ arms, best }) => {
    const engine = bestArm(arms);
    const ref = cachedReferenceBestArm(arms);
    const exact = arms.map((_, i) => (i === best ? 1 : 0));
    // The reference confirms the true values are 0/1 to far below 1e-12 ...
    expectAllClose(ref.probabilityToBeBest, exact, 1e-12, 'reference P(best)');
    // ... and the engine must say so to 1e-12 as well (the brief's requirement here).
    expectAllClose(engine.probabilityToBeBest, exact, 1e-12, 'P(best)');
    // E[max] is then the winner's mean, and each loss a difference of means.
    const winnerMean = betaMean(arms[best]!);
    expectClose(engine.expectedMax, winnerMean, CONTRACT, 'E[max]');
    expectAllClose(
      engine.expectedLoss,
      arms.map((p) => winnerMean - betaMean(p)),
      CONTRACT,
      'expected loss',
    );
  });
});

describe('bestArm: output shape', () => {
  it('returns one P(best) and one loss per arm, in input order', () => {
    const arms = [posterior(100, 2), posterior(100, 9), posterior(100, 5)];
    const engine = bestArm(arms);
    expect(engine.probabilityToBeBest).toHaveLength(3);
    expect(engine.expectedLoss).toHaveLength(3);
    const reversed = bestArm([...arms].reverse());
    expectAllClose(
      [...reversed.probabilityToBeBest].reverse(),
      engine.probabilityToBeBest,
      1e-12,
      'P(best) under reversal',
    );
  });
});
