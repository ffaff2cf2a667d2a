/**
 * decide (STATS.md sections 5, 6, 8 and 12) on hand-picked inputs. Each status case first
 * shows, with the test references, why the inputs must give that status (and with what margin
 * over the engine's tolerances), then checks the engine's decision against those references.
 *
 * Tolerances: P(best) and expected loss 1e-6 (section 4), HDI bounds 2e-3 (section 5),
 * credible intervals 1e-7 (the brief's aim), posterior means 1e-12 (a ratio of sums),
 * allocations 1e-9 (arithmetic on the returned P(best), nothing to approximate).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../src/decide.js';
import { cachedReferenceBestArm } from './reference/best-arm-reference.js';
import { cachedReferenceDifferenceHdi } from './reference/difference-reference.js';
import {
  type BetaShape,
  betaMean,
  referenceCredibleInterval,
} from './reference/incomplete-beta.js';
import { expectAllClose, expectClose } from './support/expect-close.js';

type DecideInput = Parameters<typeof decide>[0];
type Decision = ReturnType<typeof decide>;
type Counts = { key: string; visitors: number; conversions: number };

const DEFAULT_PRIOR: BetaShape = { alpha: 1, beta: 19 };

function posteriors(variants: readonly Counts[], prior = DEFAULT_PRIOR): BetaShape[] {
  return variants.map((v) => ({
    alpha: prior.alpha + v.conversions,
    beta: prior.beta + v.visitors - v.conversions,
  }));
}

/** r = ropeRelative * (a0 + sum c) / (a0 + b0 + sum n), STATS.md section 5. */
function relativeRope(
  variants: readonly Counts[],
  prior = DEFAULT_PRIOR,
  ropeRelative = 0.1,
): number {
  const c = variants.reduce((s, v) => s + v.conversions, 0);
  const n = variants.reduce((s, v) => s + v.visitors, 0);
  return (ropeRelative * (prior.alpha + c)) / (prior.alpha + prior.beta + n);
}

function variant(d: Decision, key: string) {
  const v = d.variants.find((x) => x.key === key);
  if (v === undefined) throw new Error(`no variant ${key} in the decision`);
  return v;
}

function difference(d: Decision, vs: string) {
  const x = d.differences.find((y) => y.vs === vs);
  if (x === undefined) throw new Error(`no difference vs ${vs} in the decision`);
  return x;
}

/** Reference P(best), losses and the leader-vs-other HDIs for a set of counts. */
function referenceFor(variants: readonly Counts[], prior = DEFAULT_PRIOR) {
  const arms = posteriors(variants, prior);
  const best = cachedReferenceBestArm(arms);
  const means = arms.map(betaMean);
  const leader = means.indexOf(Math.max(...means));
  const hdi = arms.map((p, i) =>
    i === leader ? null : cachedReferenceDifferenceHdi(arms[leader]!, p).interval,
  );
  return { arms, best, means, leader, hdi };
}

/** Engine P(best), loss, mean and HDIs against the references (ci95 has its own test). */
function expectSummariesMatch(d: Decision, variants: readonly Counts[], prior = DEFAULT_PRIOR) {
  const ref = referenceFor(variants, prior);
  expect(d.leader).toBe(variants[ref.leader]!.key);
  variants.forEach((v, i) => {
    const out = variant(d, v.key);
    expect(out.visitors).toBe(v.visitors);
    expect(out.conversions).toBe(v.conversions);
    expectClose(out.mean, ref.means[i]!, 1e-12, `${v.key} mean`);
    expectClose(out.pBest, ref.best.probabilityToBeBest[i]!, 1e-6, `${v.key} pBest`);
    expectClose(out.expectedLoss, ref.best.expectedLoss[i]!, 1e-6, `${v.key} expectedLoss`);
    const hdi = ref.hdi[i];
    if (hdi) expectAllClose(difference(d, v.key).hdi95, hdi, 2e-3, `hdi95 vs ${v.key}`);
  });
  expect(d.differences.map((x) => x.vs).sort()).toEqual(
    variants
      .filter((_, i) => i !== ref.leader)
      .map((v) => v.key)
      .sort(),
  );
  return ref;
}

const HEADLINE: Counts[] = [
  { key: 'control', visitors: 50, conversions: 0 },
  { key: 'b', visitors: 50, conversions: 1 },
];
const SHIP_CLEAR: Counts[] = [
  { key: 'control', visitors: 1000, conversions: 30 },
  { key: 'green-button', visitors: 1000, conversions: 80 },
];
const EQUIVALENT: Counts[] = [
  { key: 'control', visitors: 20_000, conversions: 2000 },
  { key: 'b', visitors: 20_000, conversions: 2001 },
];

describe('decide: the four statuses (STATS.md section 6)', () => {
  it('collecting_data while any variant has < 15 visitors (14 here)', () => {
    const variants = [
      { key: 'control', visitors: 14, conversions: 0 },
      { key: 'b', visitors: 400, conversions: 40 },
    ];
    const d = decide({ variants });
    expect(d.status).toBe('collecting_data');
    expect(d.effect).toBeNull();
    // The summaries are still reported.
    expectSummariesMatch(d, variants);
    // 15 is enough (n_i < 15 is the rule), even with nothing converted.
    const fifteen = decide({
      variants: [
        { key: 'control', visitors: 15, conversions: 0 },
        { key: 'b', visitors: 15, conversions: 0 },
      ],
    });
    expect(fifteen.status).not.toBe('collecting_data');
  });

  it('collecting_data honours minVisitorsPerVariant', () => {
    const d = decide({ variants: SHIP_CLEAR, thresholds: { minVisitorsPerVariant: 1001 } });
    expect(d.status).toBe('collecting_data');
    expect(
      decide({ variants: SHIP_CLEAR, thresholds: { minVisitorsPerVariant: 1000 } }).status,
    ).toBe('ready_to_ship');
  });

  it("ready_to_ship with effect 'clear': 1,000 vs 1,000 visitors, 30 vs 80 conversions", () => {
    const ref = referenceFor(SHIP_CLEAR);
    const r = relativeRope(SHIP_CLEAR);
    // Why: P(best) of the leader 1 - 3.5e-7 >= 0.95, loss 6.7e-10 < 0.005, and the HDI
    // [0.029, 0.069] lies above r = 0.0055 by far more than the 2e-3 HDI tolerance.
    expect(ref.leader).toBe(1);
    expect(ref.best.probabilityToBeBest[1]!).toBeGreaterThan(0.95 + 1e-3);
    expect(ref.best.expectedLoss[1]!).toBeLessThan(0.005 - 1e-3);
    expect(ref.hdi[0]![0]).toBeGreaterThan(r + 0.02);

    const d = decide({ variants: SHIP_CLEAR });
    expect(d.status).toBe('ready_to_ship');
    expect(d.leader).toBe('green-button');
    expect(d.effect).toBe('clear');
    expect(difference(d, 'control').insideRope).toBe(false);
    expectSummariesMatch(d, SHIP_CLEAR);
    expect(d.recommendation).toContain('green-button');
  });

  it('practically_equivalent: 20,000 vs 20,000 visitors, 2,000 vs 2,001 conversions', () => {
    const ref = referenceFor(EQUIVALENT);
    const r = relativeRope(EQUIVALENT);
    // Why: P(best) ~0.51 < 0.95 (no ship), and the HDI ~[-0.0058, 0.0059] lies inside
    // [-r, r] = +-0.0100 with a margin of ~4e-3 > 2e-3 on each side.
    expect(Math.max(...ref.best.probabilityToBeBest)).toBeLessThan(0.6);
    expect(ref.hdi[0]![0]).toBeGreaterThan(-r + 3e-3);
    expect(ref.hdi[0]![1]).toBeLessThan(r - 3e-3);

    const d = decide({ variants: EQUIVALENT });
    expect(d.status).toBe('practically_equivalent');
    expect(d.effect).toBeNull();
    expect(d.leader).toBe('b'); // the higher posterior mean, however slightly
    expect(difference(d, 'control').insideRope).toBe(true);
    expectSummariesMatch(d, EQUIVALENT);
  });

  it('keep_testing: the headline, 50 vs 50 visitors, 0 vs 1 conversion', () => {
    const ref = referenceFor(HEADLINE);
    const r = relativeRope(HEADLINE);
    // Why: P(best) of b is 103/137 = 0.752 < 0.95. Its loss 0.0035 is already < 0.005, which is
    // exactly why the loss alone must not ship (section 6). The HDI [-0.033, 0.067] is far wider
    // than [-r, r] = +-0.0017.
    expectClose(ref.best.probabilityToBeBest[1]!, 103 / 137, 1e-9, 'reference P(best)');
    expect(ref.best.expectedLoss[1]!).toBeLessThan(0.005 - 1e-3);
    expect(ref.hdi[0]![0]).toBeLessThan(-r - 0.02);

    const d = decide({ variants: HEADLINE });
    expect(d.status).toBe('keep_testing');
    expect(d.leader).toBe('b');
    expect(d.effect).toBeNull();
    expect(difference(d, 'control').insideRope).toBe(false);
    expectSummariesMatch(d, HEADLINE);
    expect(d.prior).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(d.thresholds).toMatchObject({
      minVisitorsPerVariant: 15,
      lossThreshold: 0.005,
      minProbabilityToBeBest: 0.95,
      ropeRelative: 0.1,
    });
    expect(typeof d.recommendation).toBe('string');
    expect(d.recommendation.length).toBeGreaterThan(20);
  });

  it("ships before equivalence, with effect 'likely': 200,000 each, 10.00% vs 10.45%", () => {
    const variants = [
      { key: 'control', visitors: 200_000, conversions: 20_000 },
      { key: 'b', visitors: 200_000, conversions: 20_900 },
    ];
    const ref = referenceFor(variants);
    const r = relativeRope(variants);
    // Why: P(best) 0.9999987 and loss 2.5e-10 ship it; the HDI [0.0026, 0.0064] is above 0
    // (margin 2.6e-3) but not above r = 0.0102 (margin 3.8e-3), so 'likely'. The HDI also lies
    // inside [-r, r]: equivalence would hold too, and shipping must come first.
    expect(ref.best.probabilityToBeBest[1]!).toBeGreaterThan(0.999);
    expect(ref.hdi[0]![0]).toBeGreaterThan(2.5e-3);
    expect(ref.hdi[0]![1]).toBeLessThan(r - 3.5e-3);

    const d = decide({ variants });
    expect(d.status).toBe('ready_to_ship');
    expect(d.effect).toBe('likely');
    expect(difference(d, 'control').insideRope).toBe(true);
    expectSummariesMatch(d, variants);
  });

  it("ready_to_ship with effect 'none_detected': 1,000 each, 50.0% vs 54.0%", () => {
    const variants = [
      { key: 'control', visitors: 1000, conversions: 500 },
      { key: 'new-copy', visitors: 1000, conversions: 540 },
    ];
    const ref = referenceFor(variants);
    // Why: P(best) 0.962 >= 0.95 (margin 0.012) and loss 3.4e-4 < 0.005 ship it, but the 95%
    // HDI starts at -0.004 (below 0 by twice the 2e-3 tolerance): no effect detected.
    expect(ref.best.probabilityToBeBest[1]!).toBeGreaterThan(0.955);
    expect(ref.best.expectedLoss[1]!).toBeLessThan(0.001);
    expect(ref.hdi[0]![0]).toBeLessThan(-3.5e-3);

    const d = decide({ variants });
    expect(d.status).toBe('ready_to_ship');
    expect(d.effect).toBe('none_detected');
    expectSummariesMatch(d, variants);
    expect(d.leader).toBe('new-copy');
    expect(d.recommendation).toContain('new-copy');
  });

  it('the leader is the highest posterior mean, not the highest P(best)', () => {
    // A small, left-skewed arm (Beta(15, 2), mean 0.882) beats a precise one (mean 0.885) in
    // 56% of draws, yet shipping the precise one has the smaller expected loss (section 4).
    const prior = { alpha: 1, beta: 1 };
    const variants = [
      { key: 'small', visitors: 15, conversions: 14 },
      { key: 'large', visitors: 10_000, conversions: 8_850 },
    ];
    const ref = referenceFor(variants, prior);
    expect(ref.best.probabilityToBeBest[0]!).toBeGreaterThan(0.55);
    expect(ref.means[0]!).toBeLessThan(ref.means[1]! - 1e-3);

    const d = decide({ variants, prior });
    expect(d.leader).toBe('large');
    expect(variant(d, 'large').expectedLoss).toBeLessThan(variant(d, 'small').expectedLoss);
    expectSummariesMatch(d, variants, prior);
    expect(d.prior).toEqual({ tier: 'user', alpha: 1, beta: 1 });
  });
});

describe('decide: posterior summaries', () => {
  it.each([
    { name: 'headline', variants: HEADLINE, prior: DEFAULT_PRIOR },
    { name: '30 vs 80 of 1,000', variants: SHIP_CLEAR, prior: DEFAULT_PRIOR },
    { name: '2,000 vs 2,001 of 20,000', variants: EQUIVALENT, prior: DEFAULT_PRIOR },
    {
      name: 'user prior Beta(1, 1), 14 of 15',
      variants: [
        { key: 'small', visitors: 15, conversions: 14 },
        { key: 'large', visitors: 10_000, conversions: 8_850 },
      ],
      prior: { alpha: 1, beta: 1 },
    },
  ])('$name: mean exact, ci95 within 1e-7 of bisection quantiles', ({ variants, prior }) => {
    const d = decide({ variants, prior });
    posteriors(variants, prior).forEach((p, i) => {
      const out = variant(d, variants[i]!.key);
      expectClose(out.mean, betaMean(p), 1e-12, `${out.key} mean`);
      expectAllClose(out.ci95, referenceCredibleInterval(p), 1e-7, `${out.key} ci95`);
    });
  });
});

describe('decide: ROPE (STATS.md section 5)', () => {
  const LOW_RATE: Counts[] = [
    { key: 'control', visitors: 2000, conversions: 10 },
    { key: 'b', visitors: 2000, conversions: 12 },
  ];

  it('by default r = 0.10 x pooled posterior mean; an absolute ropeHalfWidth replaces it', () => {
    const ref = referenceFor(LOW_RATE);
    const r = relativeRope(LOW_RATE); // 0.1 * 23 / 4020 = 0.00057
    // The HDI ~[-0.0038, 0.0058] is far outside +-r but inside +-0.01 (margin > 4e-3).
    expect(ref.hdi[0]![0]).toBeLessThan(-r - 2e-3);
    expect(ref.hdi[0]![1]).toBeLessThan(0.01 - 4e-3);
    expect(ref.hdi[0]![0]).toBeGreaterThan(-0.01 + 4e-3);

    const relative = decide({ variants: LOW_RATE });
    expect(relative.status).toBe('keep_testing');
    expect(difference(relative, 'control').insideRope).toBe(false);

    const absolute = decide({ variants: LOW_RATE, thresholds: { ropeHalfWidth: 0.01 } });
    expect(absolute.status).toBe('practically_equivalent');
    expect(difference(absolute, 'control').insideRope).toBe(true);
    expect(absolute.thresholds.ropeHalfWidth).toBe(0.01);
  });

  it('uses the pooled POSTERIOR mean, prior included (not the raw rate, not the prior mean)', () => {
    // Prior Beta(50, 50), 20 visitors each, no conversions: both posteriors Beta(50, 70).
    // Pooled posterior mean 50 / 140 = 0.357; raw pooled rate 0; prior mean 0.5.
    // HDI of the difference: +-0.124.
    const prior = { alpha: 50, beta: 50 };
    const variants = [
      { key: 'a', visitors: 20, conversions: 0 },
      { key: 'b', visitors: 20, conversions: 0 },
    ];
    const half = cachedReferenceDifferenceHdi({ alpha: 50, beta: 70 }, { alpha: 50, beta: 70 })
      .interval[1];
    expectClose(half, 0.1241, 1e-3, 'reference HDI half-width');
    // ropeRelative 0.4: r = 0.143 > 0.124 (+0.019): equivalent. With the raw rate r = 0: not.
    expect(relativeRope(variants, prior, 0.4)).toBeGreaterThan(half + 0.015);
    const wide = decide({ variants, prior, thresholds: { ropeRelative: 0.4 } });
    expect(wide.status).toBe('practically_equivalent');
    // ropeRelative 0.3: r = 0.107 < 0.124 (-0.017): not equivalent. With the prior mean, r would
    // be 0.15 and the HDI inside.
    expect(relativeRope(variants, prior, 0.3)).toBeLessThan(half - 0.015);
    const narrow = decide({ variants, prior, thresholds: { ropeRelative: 0.3 } });
    expect(narrow.status).toBe('keep_testing');
    expect(narrow.differences[0]!.insideRope).toBe(false);
  });

  it('insideRope agrees with the reported hdi95 and r on every difference (K = 4)', () => {
    const variants = [
      { key: 'a', visitors: 3000, conversions: 300 },
      { key: 'b', visitors: 3000, conversions: 310 },
      { key: 'c', visitors: 3000, conversions: 240 },
      { key: 'd', visitors: 3000, conversions: 305 },
    ];
    const d = decide({ variants });
    const r = relativeRope(variants);
    for (const x of d.differences) {
      expect(x.insideRope).toBe(x.hdi95[0] >= -r && x.hdi95[1] <= r);
    }
  });
});

/** STATS.md section 8, written out literally from the returned P(best). */
function topTwoWeights(p: readonly number[]): number[] {
  const beta = 0.5;
  const certain = p.indexOf(1);
  if (certain >= 0) {
    // "if some p_j = 1, the other arms share (1 - beta) equally".
    return p.map((_, i) => (i === certain ? beta : (1 - beta) / (p.length - 1)));
  }
  // 1 - p_j as the sum of the other p's, not by subtraction.
  const oneMinus = p.map((_, j) => p.reduce((s, x, k) => (k === j ? s : s + x), 0));
  return p.map((pi, i) => {
    let sum = 0;
    p.forEach((pj, j) => {
      if (j !== i) sum += pj / oneMinus[j]!;
    });
    return beta * pi + (1 - beta) * pi * sum;
  });
}

function floorFor(k: number) {
  return Math.min(0.1, 1 / k);
}

describe('decide: allocation (STATS.md section 8)', () => {
  const K3: Counts[] = [
    { key: 'a', visitors: 500, conversions: 25 },
    { key: 'b', visitors: 500, conversions: 35 },
    { key: 'c', visitors: 500, conversions: 30 },
  ];
  const K3_LOSER: Counts[] = [
    { key: 'a', visitors: 2000, conversions: 40 },
    { key: 'b', visitors: 2000, conversions: 100 },
    { key: 'c', visitors: 2000, conversions: 95 },
  ];
  const K3_CERTAIN: Counts[] = [
    { key: 'a', visitors: 1_000_000, conversions: 1_000 },
    { key: 'b', visitors: 1_000_000, conversions: 200_000 },
    { key: 'c', visitors: 1_000_000, conversions: 1_100 },
  ];
  const allocations = (d: Decision) => d.variants.map((v) => v.allocation);
  const pBest = (d: Decision) => d.variants.map((v) => v.pBest);

  it('top-two with K = 2 is always an even split', () => {
    for (const variants of [HEADLINE, SHIP_CLEAR, EQUIVALENT]) {
      for (const d of [decide({ variants }), decide({ variants, bandit: 'top-two' })]) {
        expectAllClose(allocations(d), [0.5, 0.5], 1e-9, 'K=2 top-two');
      }
    }
  });

  it.each([
    { name: 'moderate', variants: K3 },
    { name: 'with a clear loser', variants: K3_LOSER },
    { name: 'with P(best) = 1', variants: K3_CERTAIN },
  ])('top-two with K = 3 ($name) follows the formula from the returned P(best)', ({ variants }) => {
    const d = decide({ variants });
    const f = floorFor(3);
    const expected = topTwoWeights(pBest(d)).map((w) => f + (1 - 3 * f) * w);
    expectAllClose(allocations(d), expected, 1e-9, 'top-two');
  });

  it('top-two moves traffic away from a clear loser, down to the floor', () => {
    const d = decide({ variants: K3_LOSER });
    const loser = variant(d, 'a');
    expect(loser.pBest).toBeLessThan(1e-6);
    expectClose(loser.allocation, 0.1, 1e-6, 'loser keeps the floor');
  });

  it("'thompson' = f + (1 - K f) P(best), f = min(0.10, 1/K)", () => {
    for (const variants of [HEADLINE, K3, K3_LOSER]) {
      const d = decide({ variants, bandit: 'thompson' });
      const k = variants.length;
      const f = floorFor(k);
      const expected = pBest(d).map((p) => f + (1 - k * f) * p);
      expectAllClose(allocations(d), expected, 1e-9, 'thompson');
    }
  });

  it("'off' = 1/K", () => {
    for (const variants of [HEADLINE, K3_LOSER]) {
      const d = decide({ variants, bandit: 'off' });
      const k = variants.length;
      expectAllClose(allocations(d), new Array(k).fill(1 / k), 1e-12, 'off');
    }
  });

  it('with K >= 10 the floor takes all the traffic: an even split in every mode', () => {
    for (const k of [10, 12]) {
      const variants = Array.from({ length: k }, (_, i) => ({
        key: `v${i}`,
        visitors: 1000,
        conversions: 20 + 5 * i,
      }));
      for (const bandit of ['top-two', 'thompson', 'off'] as const) {
        const d = decide({ variants, bandit });
        expectAllClose(allocations(d), new Array(k).fill(1 / k), 1e-9, `K=${k} ${bandit}`);
      }
    }
  });
});

/** Calls decide and returns the StatsInputError it throws (fails if it does not throw). */
function inputError(input: unknown): { name: string; field: string } {
  try {
    decide(input as DecideInput);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as { name: string; field: string };
  }
  throw new Error(`decide did not throw for ${JSON.stringify(input)}`);
}

describe('decide: invalid input throws StatsInputError naming the field', () => {
  const ok = { key: 'a', visitors: 100, conversions: 5 };
  const cases: { name: string; input: unknown; field: string | RegExp }[] = [
    {
      name: 'negative visitors',
      input: {
        variants: [
          { key: 'a', visitors: -1, conversions: 0 },
          { ...ok, key: 'b' },
        ],
      },
      field: 'variants[0].visitors',
    },
    {
      name: 'negative conversions',
      input: { variants: [ok, { key: 'b', visitors: 10, conversions: -2 }] },
      field: 'variants[1].conversions',
    },
    {
      name: 'conversions > visitors',
      input: { variants: [ok, { key: 'b', visitors: 10, conversions: 11 }] },
      field: 'variants[1].conversions',
    },
    {
      name: 'NaN visitors',
      input: {
        variants: [
          { key: 'a', visitors: Number.NaN, conversions: 0 },
          { ...ok, key: 'b' },
        ],
      },
      field: 'variants[0].visitors',
    },
    {
      name: 'NaN conversions',
      input: { variants: [ok, { key: 'b', visitors: 10, conversions: Number.NaN }] },
      field: 'variants[1].conversions',
    },
    {
      name: 'infinite visitors',
      input: { variants: [ok, { key: 'b', visitors: Number.POSITIVE_INFINITY, conversions: 1 }] },
      field: 'variants[1].visitors',
    },
    { name: 'K = 1', input: { variants: [ok] }, field: 'variants' },
    { name: 'K = 0', input: { variants: [] }, field: 'variants' },
    {
      name: 'prior alpha = 0',
      input: { variants: [ok, { ...ok, key: 'b' }], prior: { alpha: 0, beta: 19 } },
      field: 'prior.alpha',
    },
    {
      name: 'prior alpha < 0',
      input: { variants: [ok, { ...ok, key: 'b' }], prior: { alpha: -1, beta: 19 } },
      field: 'prior.alpha',
    },
    {
      name: 'prior beta = 0',
      input: { variants: [ok, { ...ok, key: 'b' }], prior: { alpha: 1, beta: 0 } },
      field: 'prior.beta',
    },
    {
      name: 'prior alpha NaN',
      input: { variants: [ok, { ...ok, key: 'b' }], prior: { alpha: Number.NaN, beta: 19 } },
      field: 'prior.alpha',
    },
    {
      name: 'duplicate keys',
      input: { variants: [ok, { ...ok }] },
      // The second occurrence is the offending one; naming the array is acceptable too.
      field: /^variants(\[1\](\.key)?)?$/,
    },
  ];

  it.each(cases)('$name', ({ input, field }) => {
    const error = inputError(input);
    expect(error.name).toBe('StatsInputError');
    if (typeof field === 'string') expect(error.field).toBe(field);
    else expect(error.field).toMatch(field);
  });
});

describe('decide: counter-examples found by decide.property.test.ts', () => {
  // Kept as fixed cases so that they are checked on every run, whatever fast-check's seed.
  it.each([
    {
      name: 'tiny arms beside a huge one (P(best) must not go below 0)',
      input: {
        variants: [
          { key: 'v0', visitors: 12, conversions: 0 },
          { key: 'v1', visitors: 910_692, conversions: 565_255 },
          { key: 'v2', visitors: 10, conversions: 2 },
        ],
      },
    },
    {
      name: 'prior beta 0.1, c close to n (expected loss must not go below 0)',
      input: {
        variants: [
          { key: 'v0', visitors: 4, conversions: 0 },
          { key: 'v1', visitors: 89_060, conversions: 88_978 },
          { key: 'v2', visitors: 0, conversions: 0 },
        ],
        prior: { alpha: 0.6721781279839363, beta: 0.1000000000000001 },
      },
    },
    {
      name: 'one arm at c = n, two empty arms, prior alpha 0.1',
      input: {
        variants: [
          { key: 'v0', visitors: 3509, conversions: 3509 },
          { key: 'v1', visitors: 0, conversions: 0 },
          { key: 'v2', visitors: 0, conversions: 0 },
        ],
        prior: { alpha: 0.1, beta: 5.390701033604615 },
      },
    },
  ])('$name', ({ input }) => {
    const d = decide(input);
    for (const v of d.variants) {
      expect(v.pBest, `${v.key} pBest`).toBeGreaterThanOrEqual(0);
      expect(v.expectedLoss, `${v.key} expectedLoss`).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('decide: a projection passed back in', () => {
  const variants = [
    { key: 'control', visitors: 50, conversions: 0 },
    { key: 'b', visitors: 50, conversions: 1 },
  ];

  it('is reused as it is, in the output and in the recommendation', () => {
    const fresh = decide({ variants });
    expect(fresh.status).toBe('keep_testing');
    const earlier = { ...fresh.projection!, additionalVisitorsPerVariant: 4321 };
    const reused = decide({ variants, projection: earlier });
    expect(reused.projection).toEqual(earlier);
    expect(reused.recommendation).toContain('About 4,300 more visitors per variant');
    expect(reused.recommendation).not.toBe(fresh.recommendation);
    expect(reused.variants).toEqual(fresh.variants);
  });

  it('is ignored unless the status is keep_testing, and checked field by field', () => {
    const earlier = decide({ variants }).projection!;
    const settled = decide({
      variants: [
        { key: 'control', visitors: 2000, conversions: 60 },
        { key: 'b', visitors: 2000, conversions: 160 },
      ],
      projection: earlier,
    });
    expect(settled.status).toBe('ready_to_ship');
    expect(settled.projection).toBeNull();
    expect(() => decide({ variants, projection: { ...earlier, settledShare: 2 } })).toThrowError(
      expect.objectContaining({ field: 'projection.settledShare' }),
    );
    expect(() => decide({ variants, projection: { ...earlier, simulations: -1 } })).toThrowError(
      expect.objectContaining({ field: 'projection.simulations' }),
    );
  });
});
