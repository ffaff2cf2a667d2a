/**
 * Hostile and extreme input across the public API: every bad value is a StatsInputError naming
 * the field (never a TypeError, a hang or a crash), and extreme but valid values give finite,
 * consistent answers in bounded time.
 */
import { describe, expect, it } from 'vitest';
import { allocateTraffic, topTwoThompsonWeights } from '../src/allocation.js';
import { bestArm } from '../src/best-arm.js';
import { type DecideInput, type Decision, decide } from '../src/decide.js';
import { differenceHdi } from '../src/difference.js';
import { plan } from '../src/planner.js';
import { credibleInterval } from '../src/posterior.js';
import { resolvePrior } from '../src/prior.js';
import { addProxyObservation, calibrateProxy, proxyPosterior } from '../src/proxy/index.js';
import { sampleRatioMismatch } from '../src/srm.js';
import { probabilityBBeatsA } from './reference/evan-miller.js';
import { betaQuantile } from './reference/incomplete-beta.js';
import { fieldOf } from './support/field-of.js';

const a = { key: 'a', visitors: 100, conversions: 3 };
const b = { key: 'b', visitors: 100, conversions: 5 };

/** Every number anywhere in the decision is finite. */
function expectAllFinite(value: unknown, path = 'decision'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) expectAllFinite(v, `${path}[${i}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${path}.${k}`);
  }
}

describe('decide rejects malformed input with the field named', () => {
  const cases: [string, unknown, string][] = [
    ['null input', null, 'input'],
    ['a hole in the variants array', { variants: [a, undefined, b] }, 'variants[1]'],
    [
      'more than a trillion visitors',
      { variants: [{ ...a, visitors: 2e12 }, b] },
      'variants[0].visitors',
    ],
    ['a 201-character key', { variants: [{ ...a, key: 'k'.repeat(201) }, b] }, 'variants[0].key'],
    [
      'allocation epochs that are not an array',
      { variants: [a, b], allocationEpochs: { weights: [0.5, 0.5], visitors: [1, 1] } },
      'allocationEpochs',
    ],
    ['a prior below 0.01', { variants: [a, b], prior: { alpha: 1e-12, beta: 1 } }, 'prior.alpha'],
    [
      'a prior above a million',
      { variants: [a, b], prior: { alpha: 1, beta: 1e18 } },
      'prior.beta',
    ],
    [
      'a relative ROPE above 1',
      { variants: [a, b], thresholds: { ropeRelative: 2 } },
      'thresholds.ropeRelative',
    ],
    [
      'a loss threshold above 1',
      { variants: [a, b], thresholds: { lossThreshold: 2 } },
      'thresholds.lossThreshold',
    ],
    [
      'inconsistent proxy sums, named as proxy fields',
      {
        variants: [a, b],
        proxy: {
          variants: [
            { key: 'a', n: 50, sumY: 10, sumY2: 1 },
            { key: 'b', n: 50, sumY: 0, sumY2: 1 },
          ],
        },
      },
      'proxy.variants[0].sumY2',
    ],
    [
      'duplicate proxy keys',
      {
        variants: [a, b],
        proxy: {
          variants: [
            { key: 'a', n: 1, sumY: 0, sumY2: 0 },
            { key: 'a', n: 1, sumY: 0, sumY2: 0 },
          ],
        },
      },
      'proxy.variants[1].key',
    ],
  ];
  it.each(cases)('%s', (_name, input, field) => {
    expect(fieldOf(() => decide(input as DecideInput))).toBe(field);
  });

  it('copies only the known thresholds into the decision', () => {
    const d = decide({
      variants: [a, b],
      thresholds: { foo: Number.NaN, bar: 10n } as unknown as NonNullable<
        DecideInput['thresholds']
      >,
      projection: false,
    });
    expect(Object.keys(d.thresholds).sort()).toEqual([
      'lossThreshold',
      'minProbabilityToBeBest',
      'minVisitorsPerVariant',
      'ropeHalfWidth',
      'ropeRelative',
    ]);
    expect(() => JSON.stringify(d)).not.toThrow();
  });

  it('writes -0 visitors as 0', () => {
    const d = decide({
      variants: [{ key: 'a', visitors: -0, conversions: 0 }, b],
      projection: false,
    });
    expect(d.recommendation).toContain('a has 0');
    expect(Object.is(d.variants[0]!.visitors, 0)).toBe(true);
  });
});

describe('the other public functions reject malformed input with the field named', () => {
  it.each([
    ['bestArm(null)', () => bestArm(null as never), 'posteriors'],
    ["bestArm('ab')", () => bestArm('ab' as never), 'posteriors'],
    ['bestArm([null])', () => bestArm([null] as never), 'posteriors[0]'],
    [
      'bestArm with alpha 1e-300',
      () => bestArm([{ alpha: 1e-300, beta: 1 }]),
      'posteriors[0].alpha',
    ],
    [
      'differenceHdi(null, ...)',
      () => differenceHdi(null as never, { alpha: 1, beta: 1 }),
      'leader',
    ],
    ['credibleInterval(null)', () => credibleInterval(null as never), 'posterior'],
    [
      'credibleInterval with beta 1e-300',
      () => credibleInterval({ alpha: 1, beta: 1e-300 }),
      'posterior.beta',
    ],
    ['resolvePrior(null)', () => resolvePrior(null as never), 'input'],
    ['allocateTraffic(null)', () => allocateTraffic(null as never, 'thompson'), 'pBest'],
    ['allocateTraffic([0, 0, 0])', () => allocateTraffic([0, 0, 0], 'thompson'), 'pBest'],
    ['allocateTraffic([-1, 2])', () => allocateTraffic([-1, 2], 'thompson'), 'pBest[0]'],
    [
      "allocateTraffic(['0.5', '0.5'])",
      () => allocateTraffic(['0.5', '0.5'] as never, 'off'),
      'pBest[0]',
    ],
    ['topTwoThompsonWeights([1, 1])', () => topTwoThompsonWeights([1, 1]), 'pBest'],
    ['plan(null)', () => plan(null as never), 'input'],
    [
      'plan with a million simulations',
      () => plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: 100, simulations: 1e6 }),
      'simulations',
    ],
    [
      'plan with checkEvery above the cap',
      () => plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: 100, checkEvery: 1e6 }),
      'checkEvery',
    ],
    [
      'plan with a tiny traffic',
      () => plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: Number.MIN_VALUE }),
      'visitorsPerDay',
    ],
    [
      'plan with a NaN seed',
      () => plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: 100, seed: Number.NaN }),
      'seed',
    ],
    [
      'plan with an unknown bandit',
      () => plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: 100, bandit: 'greedy' as never }),
      'bandit',
    ],
    [
      'plan with a prior below 0.01',
      () =>
        plan({ baseRate: 0.03, lift: 0.5, visitorsPerDay: 100, prior: { alpha: 1e-20, beta: 1 } }),
      'prior.alpha',
    ],
  ] as [string, () => unknown, string][])('%s', (_name, call, field) => {
    expect(fieldOf(call)).toBe(field);
  });
});

describe('edge values found by attacking the engine', () => {
  it('an allocation weight too small to send anyone is a structural zero in the SRM guard', () => {
    const result = sampleRatioMismatch([{ weights: [1e-320, 1], visitors: [1, 99] }]);
    // A visitor in a variant that gets no traffic: a certain mismatch, and finite numbers.
    expect(result.detected).toBe(true);
    expect(result.pValue).toBe(0);
    expect(Number.isFinite(result.chiSquare)).toBe(true);
  });

  it('top-two treats a P(best) of 1 up to rounding as certainty', () => {
    // Sum of the other P(best) below 1e-15: the leader keeps beta = 1/2, the rest share 1/2.
    expect(topTwoThompsonWeights([1, 1e-310])).toEqual([0.5, 0.5]);
    const shares = allocateTraffic([1, 1e-310, 0], 'top-two');
    expect(shares.every(Number.isFinite)).toBe(true);
    expect(shares.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('addProxyObservation checks the accumulator it extends', () => {
    expect(
      fieldOf(() => addProxyObservation({ key: 'a', n: 1, sumY: Number.NaN, sumY2: 1 }, 1)),
    ).toBe('accumulator.sumY');
    expect(fieldOf(() => addProxyObservation(null as never, 1))).toBe('accumulator');
  });

  it('bounds the number of arms and the size of engagement features', () => {
    const arm = { alpha: 1, beta: 1 };
    expect(fieldOf(() => bestArm(Array.from({ length: 51 }, () => arm)))).toBe('posteriors');
    const sums = Array.from({ length: 51 }, (_, i) => ({ key: `v${i}`, n: 1, sumY: 0, sumY2: 0 }));
    expect(fieldOf(() => proxyPosterior(sums))).toBe('variants');
    const visitor = { scrollDepth: 0.5, activeSeconds: 1e300, clicks: 1, formStarted: 0 as const };
    expect(fieldOf(() => calibrateProxy([{ features: visitor, converted: false }]))).toBe(
      'visitors[0].features.activeSeconds',
    );
  });

  it('reports holes in the proxy calibration inputs', () => {
    const visitor = { scrollDepth: 0.5, activeSeconds: 10, clicks: 1, formStarted: 0 as const };
    const sparse = [{ features: visitor, converted: false }];
    sparse.length = 3;
    expect(fieldOf(() => calibrateProxy(sparse))).toBe('visitors[1]');
  });

  it('null options mean the defaults', () => {
    const sums = [
      { key: 'a', n: 3, sumY: 3, sumY2: 5 },
      { key: 'b', n: 3, sumY: 6, sumY2: 14 },
    ];
    expect(proxyPosterior(sums, null).cupedApplied).toBe(false);
    expect(sampleRatioMismatch([{ weights: [0.5, 0.5], visitors: [5, 5] }], null).pValue).toBe(1);
  });

  it('the projection never reports more than its horizon', () => {
    const d = decide({
      variants: [0, 1, 2].map((i) => ({ key: `v${i}`, visitors: 46, conversions: 0 })),
    });
    const p = d.projection!;
    if (p.additionalVisitorsPerVariant !== null) {
      expect(p.additionalVisitorsPerVariant).toBeLessThanOrEqual(p.horizonPerVariant);
    }
  });

  it('plan counts no decision past its cap', () => {
    const p = plan({
      baseRate: 0.05,
      lift: 10,
      visitorsPerDay: 100,
      maxVisitorsPerVariant: 15,
      checkEvery: 10,
    });
    // Decisions come at 10 and 20 visitors per variant; 20 is past the cap of 15, and at 10 the
    // rule is still collecting data (minimum 15): every experiment is undecided.
    expect(p.shares.undecided).toBe(1);
    expect(p.visitorsPerVariant.median).toBeNull();
  });
});

describe('extreme but valid input stays finite, consistent and quick', () => {
  it('priors at the 0.01 floor: finite decision, probabilities summing to 1', () => {
    for (const prior of [
      { alpha: 0.01, beta: 0.01 },
      { alpha: 0.01, beta: 1e6 },
      { alpha: 1e6, beta: 0.01 },
    ]) {
      const d: Decision = decide({
        variants: [
          { key: 'a', visitors: 30, conversions: 0 },
          { key: 'b', visitors: 30, conversions: 30 },
        ],
        prior,
      });
      expectAllFinite(d);
      expect(d.variants[0]!.pBest + d.variants[1]!.pBest).toBeCloseTo(1, 12);
      for (const v of d.variants) {
        expect(v.ci95[0]).toBeGreaterThanOrEqual(0);
        expect(v.ci95[1]).toBeLessThanOrEqual(1);
      }
      const [lo, hi] = d.differences[0]!.hdi95;
      expect(lo).toBeLessThanOrEqual(hi);
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
    }
  });

  it('a dispersed history falls back to the default prior instead of a near-zero one', () => {
    const d = decide({
      variants: [
        { key: 'a', visitors: 50, conversions: 0 },
        { key: 'b', visitors: 50, conversions: 1 },
      ],
      history: [0, 1, 1, 1, 1, 0.8],
      projection: false,
    });
    expect(d.prior.tier).toBe('default');
    expect(d.status).toBe('keep_testing');
  });

  it('P(best) near a rate of 1 at a trillion visitors matches the closed form', () => {
    // Mirrored Evan Miller: P(theta_b > theta_a) for Beta(n + 1, 19) and Beta(n, 20) equals
    // P(1 - theta_a > 1 - theta_b) with Beta(19, n + 1) and Beta(20, n), whose alphas are small.
    const n = 1e12;
    const exact = probabilityBBeatsA({ alpha: 20, beta: n }, { alpha: 19, beta: n + 1 });
    expect(exact).toBeCloseTo(0.4357, 3);
    const result = bestArm([
      { alpha: n + 1, beta: 19 },
      { alpha: n, beta: 20 },
    ]);
    expect(Math.abs(result.probabilityToBeBest[1]! - exact)).toBeLessThan(1e-6);
  });

  it('P(best) near a rate of 1 with a double-exponential flank (beta = 1) is exact', () => {
    // For Beta(a1, 1) and Beta(a2, 1), F(x) = x^a, so P(theta_2 > theta_1) = a2 / (a1 + a2).
    for (const [a1, a2] of [
      [4042, 72470],
      [15, 900],
      [1e5, 1e6],
    ] as const) {
      const result = bestArm([
        { alpha: a1, beta: 1 },
        { alpha: a2, beta: 1 },
      ]);
      expect(Math.abs(result.probabilityToBeBest[1]! - a2 / (a1 + a2))).toBeLessThan(1e-6);
      expect(result.expectedMax).toBeLessThanOrEqual(1);
    }
  });

  it('a singular arm against a near-point arm: the HDI is the point minus the singular HDI', () => {
    // control: 3% of n visitors, so narrow (sd 5e-6 to 1.7e-4); new: Beta(0.5, 20.5), whose
    // density falls from infinity at 0, so its 95% HDI is [0, q95]. The difference
    // control - new then has the HDI [0.03 - q95, 0.03] up to control's spread.
    const q95 = betaQuantile(0.95, 0.5, 20.5);
    for (const n of [1e9, 1e7, 1e6]) {
      const d = decide({
        variants: [
          { key: 'control', visitors: n, conversions: 0.03 * n },
          { key: 'new', visitors: 20, conversions: 0 },
        ],
        prior: { alpha: 0.5, beta: 0.5 },
        projection: false,
      });
      expect(d.leader).toBe('control');
      const [lo, hi] = d.differences[0]!.hdi95;
      expect(Math.abs(lo - (0.03 - q95))).toBeLessThan(2e-3);
      expect(Math.abs(hi - 0.03)).toBeLessThan(2e-3);
    }
  });

  it('the projection settles or gives up in bounded time with a trillion visitors', () => {
    const d = decide({
      variants: [
        { key: 'a', visitors: 1e12, conversions: 0 },
        { key: 'b', visitors: 1e12, conversions: 1 },
      ],
    });
    expectAllFinite({ ...d, projection: d.projection && { ...d.projection } });
    expect(d.status).toBe('keep_testing');
    expect(d.projection).not.toBeNull();
  });

  it('the HDI stays inside the support of the difference for a singular arm', () => {
    // Beta(0.5, 20.5) has an infinite density at 0, so theta_a - theta_b is at most
    // theta_a; with theta_a ~ Beta(30000.5, 970000.5) (sd 1.7e-4) the upper bound is near
    // 0.03 + 2 sd, never the 0.0326 a cell-wide smear would give.
    const hdi = differenceHdi({ alpha: 30000.5, beta: 970000.5 }, { alpha: 0.5, beta: 20.5 });
    expect(hdi[1]).toBeLessThan(0.0306);
    expect(hdi[1]).toBeGreaterThan(0.0302);
  });
});
