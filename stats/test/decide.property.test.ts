/**
 * Properties of decide that must hold for every valid input (fast-check). Inputs: K = 2..6
 * variants, 0..1,000,000 visitors each (biased towards the small counts where the rules
 * switch), conversions anywhere in 0..visitors with 0 and n often, an optional user prior with
 * alpha, beta in [0.1, 50], and any bandit mode.
 *
 * fast-check draws a fresh seed per run and prints it (with the shrunk counter-example) on
 * failure; pass { seed } to fc.assert to replay one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/decide.js';

type DecideInput = Parameters<typeof decide>[0];
type Decision = ReturnType<typeof decide>;

const BANDITS = ['top-two', 'thompson', 'off'] as const;

const visitorsArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 5_000 }),
  fc.integer({ min: 0, max: 1_000_000 }),
);

const countsArb = visitorsArb.chain((visitors) =>
  fc.record({
    visitors: fc.constant(visitors),
    conversions: fc.oneof(
      fc.constant(0),
      fc.constant(visitors),
      fc.integer({ min: 0, max: visitors }),
      // Realistic rates, 0..20%.
      fc.double({ min: 0, max: 0.2, noNaN: true }).map((rate) => Math.round(rate * visitors)),
    ),
  }),
);

const priorArb = fc.option(
  fc.record({
    alpha: fc.double({ min: 0.1, max: 50, noNaN: true }),
    beta: fc.double({ min: 0.1, max: 50, noNaN: true }),
  }),
  { nil: undefined },
);

interface Case {
  readonly variants: { key: string; visitors: number; conversions: number }[];
  readonly prior: { alpha: number; beta: number } | undefined;
  readonly bandit: (typeof BANDITS)[number];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  variants: fc
    .array(countsArb, { minLength: 2, maxLength: 6 })
    .map((list) => list.map((c, i) => ({ key: `v${i}`, ...c }))),
  prior: priorArb,
  bandit: fc.constantFrom(...BANDITS),
});

function inputOf(c: Case, bandit = c.bandit): DecideInput {
  return { variants: c.variants, bandit, ...(c.prior ? { prior: c.prior } : {}) };
}

/** Every number anywhere in the object, with its path. */
function numbersIn(value: unknown, path = 'decision'): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  }
  return [];
}

function posteriorMean(c: Case, i: number): number {
  const prior = c.prior ?? { alpha: 1, beta: 19 };
  const v = c.variants[i]!;
  return (prior.alpha + v.conversions) / (prior.alpha + prior.beta + v.visitors);
}

function byKey(d: Decision) {
  return new Map(d.variants.map((v) => [v.key, v]));
}

describe('decide: properties over valid inputs', () => {
  it('never throws, never emits NaN or Infinity, and serialises to JSON as is', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const d = decide(inputOf(c));
        for (const [path, x] of numbersIn(d)) {
          expect(Number.isFinite(x), `${path} = ${x}`).toBe(true);
        }
        expect(JSON.parse(JSON.stringify(d))).toEqual(d);
      }),
      { numRuns: 150 },
    );
  });

  it('P(best) sums to 1 (1e-9), each in [0, 1]', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const pBest = decide(inputOf(c)).variants.map((v) => v.pBest);
        // sum_i P(best)_i = int d/dx prod_j F_j = 1 exactly; 1e-9 per the brief.
        expect(Math.abs(pBest.reduce((s, p) => s + p, 0) - 1)).toBeLessThanOrEqual(1e-9);
        for (const p of pBest) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('expected losses are >= 0 (E[max] >= E[theta_i] always)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const v of decide(inputOf(c)).variants) {
          expect(v.expectedLoss, `${v.key} loss`).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the leader has the highest posterior mean and the smallest loss; one difference per other', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const d = decide(inputOf(c));
        const losses = d.variants.map((v) => v.expectedLoss);
        const leader = d.variants.find((v) => v.key === d.leader);
        expect(leader).toBeDefined();
        // L_i - L_j = mean_j - mean_i exactly, so "smallest loss" is the highest mean; 1e-12
        // allows for the rounding of E[max] - mean.
        expect(leader!.expectedLoss).toBeLessThanOrEqual(Math.min(...losses) + 1e-12);
        const means = c.variants.map((_, i) => posteriorMean(c, i));
        const leaderIndex = c.variants.findIndex((v) => v.key === d.leader);
        expect(means[leaderIndex]!).toBeGreaterThanOrEqual(Math.max(...means) - 1e-12);
        expect(d.differences.map((x) => x.vs).sort()).toEqual(
          c.variants
            .map((v) => v.key)
            .filter((k) => k !== d.leader)
            .sort(),
        );
        for (const x of d.differences) expect(x.hdi95[0]).toBeLessThanOrEqual(x.hdi95[1]);
      }),
      { numRuns: 100 },
    );
  });

  it('allocations sum to 1 (1e-9) and keep the floor min(0.10, 1/K) in every bandit mode', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const k = c.variants.length;
        const floor = Math.min(0.1, 1 / k);
        for (const bandit of BANDITS) {
          const allocation = decide(inputOf(c, bandit)).variants.map((v) => v.allocation);
          expect(Math.abs(allocation.reduce((s, a) => s + a, 0) - 1)).toBeLessThanOrEqual(1e-9);
          for (const a of allocation) expect(a).toBeGreaterThanOrEqual(floor - 1e-12);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does not depend on the order of the variants (matched by key)', () => {
    const permuted = caseArb.chain((c) =>
      fc
        .shuffledSubarray(c.variants, {
          minLength: c.variants.length,
          maxLength: c.variants.length,
        })
        .map((variants) => ({ original: c, shuffled: { ...c, variants } })),
    );
    fc.assert(
      fc.property(permuted, ({ original, shuffled }) => {
        const a = decide(inputOf(original));
        const b = decide(inputOf(shuffled));
        const mapA = byKey(a);
        const mapB = byKey(b);
        for (const [key, va] of mapA) {
          const vb = mapB.get(key)!;
          // The same quantities computed in another order: rounding only (1e-9).
          expect(Math.abs(va.pBest - vb.pBest), `${key} pBest`).toBeLessThanOrEqual(1e-9);
          expect(Math.abs(va.expectedLoss - vb.expectedLoss), `${key} loss`).toBeLessThanOrEqual(
            1e-9,
          );
          expect(Math.abs(va.allocation - vb.allocation), `${key} allocation`).toBeLessThanOrEqual(
            1e-9,
          );
          expect(Math.abs(va.mean - vb.mean), `${key} mean`).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(va.ci95[0] - vb.ci95[0]), `${key} ci95`).toBeLessThanOrEqual(1e-9);
          expect(Math.abs(va.ci95[1] - vb.ci95[1]), `${key} ci95`).toBeLessThanOrEqual(1e-9);
        }
        // With a unique top mean the leader, the status and the differences are the same too.
        // (With tied means the tie-break by index legitimately follows the order.)
        const means = original.variants
          .map((_, i) => posteriorMean(original, i))
          .sort((x, y) => y - x);
        if (means[0]! - means[1]! > 1e-9) {
          expect(b.leader).toBe(a.leader);
          expect(b.status).toBe(a.status);
          expect(b.effect).toBe(a.effect);
          for (const x of a.differences) {
            const y = b.differences.find((z) => z.vs === x.vs)!;
            // Each HDI bound may be off by 2e-3 (section 5), e.g. with sampling seeded from the
            // input order, so two runs may differ by up to 4e-3.
            expect(Math.abs(x.hdi95[0] - y.hdi95[0])).toBeLessThanOrEqual(4e-3);
            expect(Math.abs(x.hdi95[1] - y.hdi95[1])).toBeLessThanOrEqual(4e-3);
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it("status rules of section 6, checked against the decision's own numbers", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const d = decide(inputOf(c));
        const someSmall = c.variants.some((v) => v.visitors < 15);
        expect(d.status === 'collecting_data').toBe(someSmall);
        const leader = d.variants.find((v) => v.key === d.leader)!;
        if (d.status === 'ready_to_ship') {
          expect(leader.pBest).toBeGreaterThanOrEqual(0.95);
          expect(leader.expectedLoss).toBeLessThan(0.005);
          expect(['clear', 'likely', 'none_detected']).toContain(d.effect);
        } else {
          expect(d.effect).toBeNull();
        }
        const shipConditions = leader.pBest >= 0.95 && leader.expectedLoss < 0.005;
        const allInside = d.differences.every((x) => x.insideRope);
        if (d.status === 'practically_equivalent') {
          expect(shipConditions).toBe(false);
          expect(allInside).toBe(true);
        }
        if (d.status === 'keep_testing') {
          expect(shipConditions).toBe(false);
          expect(allInside).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});
