/**
 * differenceHdi (STATS.md section 5) and credibleInterval (section 3) against references
 * written in the tests: the HDI of theta_leader - theta_other from the convolution density and
 * CDF (test/reference/difference-reference.ts, exact to ~1e-10, validated in reference.test.ts)
 * and equal-tailed intervals from quantiles found by bisection on the reference incomplete beta.
 */
import { describe, expect, it } from 'vitest';
import { differenceHdi } from '../src/difference.js';
import { credibleInterval } from '../src/posterior.js';
import { cachedReferenceDifferenceHdi } from './reference/difference-reference.js';
import { type BetaShape, referenceCredibleInterval } from './reference/incomplete-beta.js';
import { expectAllClose } from './support/expect-close.js';

/** The engine's contract for each HDI bound (STATS.md section 5). */
const HDI_TOLERANCE = 2e-3;
/** The brief's target for credible-interval bounds. */
const CI_TOLERANCE = 1e-7;

const DEFAULT_PRIOR: BetaShape = { alpha: 1, beta: 19 };

function posterior(visitors: number, conversions: number, prior = DEFAULT_PRIOR): BetaShape {
  return { alpha: prior.alpha + conversions, beta: prior.beta + visitors - conversions };
}

const show = (p: BetaShape) => `Beta(${p.alpha}, ${p.beta})`;

/** [leader, other] pairs; the reference needs every shape >= 1 (see its module comment). */
const hdiCases: { name: string; leader: BetaShape; other: BetaShape }[] = [
  { name: 'headline: Beta(2,68) - Beta(1,69)', leader: posterior(50, 1), other: posterior(50, 0) },
  {
    name: 'skewed: Beta(3,40) - Beta(1,45)',
    leader: { alpha: 3, beta: 40 },
    other: { alpha: 1, beta: 45 },
  },
  {
    name: 'skewed, reversed: Beta(1,45) - Beta(3,40)',
    leader: { alpha: 1, beta: 45 },
    other: { alpha: 3, beta: 40 },
  },
  { name: 'n=15 each, 0 vs 0', leader: posterior(15, 0), other: posterior(15, 0) },
  { name: 'n=100, 5 vs 2', leader: posterior(100, 5), other: posterior(100, 2) },
  { name: 'n=1000, 80 vs 30', leader: posterior(1000, 80), other: posterior(1000, 30) },
  {
    name: 'n=20000, 2001 vs 2000',
    leader: posterior(20_000, 2001),
    other: posterior(20_000, 2000),
  },
  { name: 'unequal n: 100 vs 100000', leader: posterior(100, 5), other: posterior(100_000, 5000) },
  {
    name: 'n=1e6, 0.1003 vs 0.10',
    leader: posterior(1e6, 100_300),
    other: posterior(1e6, 100_000),
  },
  { name: 'n=1e6, c=1 vs c=0', leader: posterior(1e6, 1), other: posterior(1e6, 0) },
  { name: 'n=1e6, c=n vs c=n-1', leader: posterior(1e6, 1e6), other: posterior(1e6, 999_999) },
  {
    name: 'prior 0.5, c >= 1',
    leader: posterior(100, 3, { alpha: 0.5, beta: 0.5 }),
    other: posterior(100, 1, { alpha: 0.5, beta: 0.5 }),
  },
];

describe('differenceHdi', () => {
  it('Beta(1,1) - Beta(1,1) is triangular on [-1, 1]: HDI = +-(1 - sqrt(0.05)) = +-0.7764', () => {
    const half = 1 - Math.sqrt(0.05);
    const engine = differenceHdi({ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 });
    expectAllClose(engine, [-half, half], HDI_TOLERANCE, 'HDI');
  });

  it.each(hdiCases)('$name: each bound within 2e-3 of the reference', ({ leader, other }) => {
    const engine = differenceHdi(leader, other);
    const ref = cachedReferenceDifferenceHdi(leader, other);
    expect(engine[0]).toBeLessThan(engine[1]);
    expectAllClose(engine, ref.interval, HDI_TOLERANCE, `HDI of ${show(leader)} - ${show(other)}`);
  });

  it('swapping the arms mirrors the interval', () => {
    const a = { alpha: 3, beta: 40 };
    const b = { alpha: 1, beta: 45 };
    const forward = differenceHdi(a, b);
    const backward = differenceHdi(b, a);
    // theta_b - theta_a = -(theta_a - theta_b): both within 2e-3 of the truth, so 4e-3 apart.
    expectAllClose([-backward[1], -backward[0]], forward, 2 * HDI_TOLERANCE, 'mirrored HDI');
  });

  it('honours the mass argument (90%)', () => {
    const leader = posterior(1000, 80);
    const other = posterior(1000, 30);
    const engine = differenceHdi(leader, other, 0.9);
    const ref = cachedReferenceDifferenceHdi(leader, other, 0.9);
    expectAllClose(engine, ref.interval, HDI_TOLERANCE, '90% HDI');
    // A 90% interval sits strictly inside the 95% one (by a clear margin here, ~0.003 per side).
    const wide = cachedReferenceDifferenceHdi(leader, other, 0.95).interval;
    expect(ref.interval[0]).toBeGreaterThan(wide[0] + 0.002);
    expect(ref.interval[1]).toBeLessThan(wide[1] - 0.002);
  });
});

describe('credibleInterval (equal-tailed)', () => {
  const cases: BetaShape[] = [
    { alpha: 1, beta: 69 },
    { alpha: 2, beta: 68 },
    { alpha: 1, beta: 1 },
    { alpha: 0.5, beta: 0.5 },
    { alpha: 31, beta: 989 },
    { alpha: 81, beta: 939 },
    { alpha: 2001, beta: 18_019 },
    { alpha: 1, beta: 1_000_019 },
    { alpha: 1_000_001, beta: 19 },
    { alpha: 100_001, beta: 900_019 },
    { alpha: 500_001, beta: 500_019 },
    { alpha: 0.5, beta: 1_000_000.5 },
    { alpha: 3.5, beta: 97.5 },
    { alpha: 50, beta: 0.3 },
  ];

  it.each(cases.map((p) => ({ name: show(p), p })))(
    '$name: within 1e-7 of bisection quantiles',
    ({ p }) => {
      const engine = credibleInterval(p);
      const ref = referenceCredibleInterval(p);
      expectAllClose(engine, ref, CI_TOLERANCE, `95% CI of ${show(p)}`);
    },
  );

  it('matches closed forms: Beta(1,1) -> [0.025, 0.975]; Beta(1,b) -> 1 - (1 - q)^(1/b)', () => {
    expectAllClose(
      credibleInterval({ alpha: 1, beta: 1 }),
      [0.025, 0.975],
      CI_TOLERANCE,
      'uniform',
    );
    const b = 69;
    const q = (p: number) => -Math.expm1(Math.log1p(-p) / b);
    expectAllClose(
      credibleInterval({ alpha: 1, beta: b }),
      [q(0.025), q(0.975)],
      CI_TOLERANCE,
      'Beta(1, 69)',
    );
    // Arcsine law: Q(p) = sin^2(pi p / 2).
    const arcsine = (p: number) => Math.sin((Math.PI * p) / 2) ** 2;
    expectAllClose(
      credibleInterval({ alpha: 0.5, beta: 0.5 }),
      [arcsine(0.025), arcsine(0.975)],
      CI_TOLERANCE,
      'Beta(1/2, 1/2)',
    );
  });

  it('honours the mass argument (80%)', () => {
    const p = { alpha: 31, beta: 989 };
    expectAllClose(
      credibleInterval(p, 0.8),
      referenceCredibleInterval(p, 0.8),
      CI_TOLERANCE,
      '80% CI',
    );
  });
});
