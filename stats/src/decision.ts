/**
 * The decision rule of STATS.md section 6, evaluated on posteriors. Shared by `decide` (one
 * decision with every detail) and the planner (thousands of decisions where only the status
 * matters).
 */
import { type BestArmAnalysis, bestArmOnGrid } from './best-arm.js';
import { type BetaGrid, buildBetaGrid } from './beta-grid.js';
import { differenceHdiOnGrid } from './difference.js';
import { assertInRange, StatsInputError } from './errors.js';
import { betaPosterior, posteriorMean, posteriorVariance } from './posterior.js';
import { ropeHalfWidth } from './rope.js';
import type {
  BetaParams,
  DecisionStatus,
  Effect,
  ResolvedThresholds,
  Thresholds,
} from './types.js';

/** Defaults of STATS.md section 6. */
export const DEFAULT_THRESHOLDS: ResolvedThresholds = Object.freeze({
  minVisitorsPerVariant: 15,
  lossThreshold: 0.005,
  minProbabilityToBeBest: 0.95,
  ropeRelative: 0.1,
  ropeHalfWidth: null,
});

/**
 * Fills in the defaults of STATS.md section 6 and validates every given threshold.
 *
 * @throws StatsInputError naming `thresholds.<field>`: minVisitorsPerVariant must be a
 *   non-negative integer, lossThreshold in (0, 1], ropeRelative in [0, 1] (a share of the
 *   base rate), minProbabilityToBeBest in (0, 1], ropeHalfWidth in [0, 1].
 */
export function resolveThresholds(thresholds: Thresholds | undefined): ResolvedThresholds {
  if (thresholds === undefined) return DEFAULT_THRESHOLDS;
  if (typeof thresholds !== 'object' || thresholds === null) {
    throw new StatsInputError('thresholds', 'must be an object');
  }
  // Only the known fields: anything else the caller passed is not copied into the decision.
  const given = (name: keyof Thresholds) => thresholds[name] ?? DEFAULT_THRESHOLDS[name];
  const t: ResolvedThresholds = {
    minVisitorsPerVariant: given('minVisitorsPerVariant') as number,
    lossThreshold: given('lossThreshold') as number,
    minProbabilityToBeBest: given('minProbabilityToBeBest') as number,
    ropeRelative: given('ropeRelative') as number,
    ropeHalfWidth: given('ropeHalfWidth'),
  };
  if (!Number.isSafeInteger(t.minVisitorsPerVariant) || t.minVisitorsPerVariant < 0) {
    throw new StatsInputError(
      'thresholds.minVisitorsPerVariant',
      `must be a non-negative integer, got ${String(t.minVisitorsPerVariant)}`,
    );
  }
  assertInRange(t.lossThreshold, 'thresholds.lossThreshold', Number.MIN_VALUE, 1);
  assertInRange(t.minProbabilityToBeBest, 'thresholds.minProbabilityToBeBest', Number.MIN_VALUE, 1);
  assertInRange(t.ropeRelative, 'thresholds.ropeRelative', 0, 1);
  if (t.ropeHalfWidth !== null) {
    assertInRange(t.ropeHalfWidth, 'thresholds.ropeHalfWidth', 0, 1);
  }
  return t;
}

/** Counts of one variant, in visitors. */
export interface Counts {
  readonly visitors: number;
  readonly conversions: number;
}

/** One leader-versus-other comparison. */
export interface Difference {
  /** Index of the other variant. */
  readonly other: number;
  /** 95% HDI of theta_leader - theta_other, absolute units; null when not computed. */
  readonly hdi95: [number, number] | null;
}

/** The rule's verdict with what it was computed from. */
export interface Evaluation {
  readonly grid: BetaGrid;
  readonly posteriors: BetaParams[];
  readonly best: BestArmAnalysis;
  readonly leader: number;
  readonly status: DecisionStatus;
  readonly effect: Effect | null;
  readonly ropeHalfWidth: number;
  readonly differences: Difference[];
}

/**
 * Index of the leader: the variant with the smallest expected loss, that is the highest
 * posterior mean (STATS.md section 4); means within 1e-12 are tied and go to the higher P(best),
 * then to the lower index. O(K).
 */
export function pickLeader(means: readonly number[], pBest: readonly number[]): number {
  let leader = 0;
  for (let i = 1; i < means.length; i++) {
    const gap = means[i]! - means[leader]!;
    if (gap > 1e-12 || (Math.abs(gap) <= 1e-12 && pBest[i]! > pBest[leader]!)) leader = i;
  }
  return leader;
}

/**
 * Evaluates the four-state rule for validated counts.
 *
 * `detail: 'full'` computes every leader-versus-other HDI (for the decision object);
 * `detail: 'status'` computes them only when the status depends on them, and skips those that
 * cannot lie inside the ROPE: for log-concave posteriors (alpha, beta >= 1) the density of a
 * difference never exceeds 1/sd (Bobkov 1999, "Isoperimetric and analytic inequalities for
 * log-concave probability measures", Annals of Probability 27(4), proposition 4.1 gives
 * sd * max density <= 1), so an interval of width 2r holds at most 2r/sd of the mass and a
 * 95% HDI cannot fit inside [-r, r] when 2r < 0.95 sd.
 */
export function evaluate(
  counts: readonly Counts[],
  prior: BetaParams,
  thresholds: ResolvedThresholds,
  detail: 'full' | 'status',
): Evaluation {
  const posteriors = counts.map((c) => betaPosterior(prior, c.visitors, c.conversions));
  const grid = buildBetaGrid(posteriors);
  const best = bestArmOnGrid(grid, posteriors);
  const means = posteriors.map(posteriorMean);
  const leader = pickLeader(means, best.probabilityToBeBest);
  const totals = counts.reduce(
    (sum, c) => ({
      visitors: sum.visitors + c.visitors,
      conversions: sum.conversions + c.conversions,
    }),
    { visitors: 0, conversions: 0 },
  );
  const r = ropeHalfWidth(prior, totals, thresholds);

  const collecting = counts.some((c) => c.visitors < thresholds.minVisitorsPerVariant);
  const ship =
    !collecting &&
    best.expectedLoss[leader]! < thresholds.lossThreshold &&
    best.probabilityToBeBest[leader]! >= thresholds.minProbabilityToBeBest;

  const others = counts.map((_, i) => i).filter((i) => i !== leader);
  const hdi = (other: number) => differenceHdiOnGrid(grid, leader, other);
  let differences: Difference[];
  if (detail === 'full' || ship) {
    differences = others.map((other) => ({ other, hdi95: hdi(other) }));
  } else if (collecting) {
    differences = others.map((other) => ({ other, hdi95: null }));
  } else {
    // Stop at the first HDI that rules out equivalence.
    differences = [];
    let equivalent = true;
    for (const other of others) {
      const interval =
        equivalent && couldFitInRope(posteriors[leader]!, posteriors[other]!, r)
          ? hdi(other)
          : null;
      if (interval === null || interval[0] < -r || interval[1] > r) equivalent = false;
      differences.push({ other, hdi95: interval });
    }
  }

  const insideRope = (d: Difference) => d.hdi95 !== null && d.hdi95[0] >= -r && d.hdi95[1] <= r;
  let status: DecisionStatus;
  if (collecting) status = 'collecting_data';
  else if (ship) status = 'ready_to_ship';
  else if (differences.every(insideRope)) status = 'practically_equivalent';
  else status = 'keep_testing';

  let effect: Effect | null = null;
  if (status === 'ready_to_ship') {
    const lows = differences.map((d) => d.hdi95![0]);
    effect = lows.every((lo) => lo > r)
      ? 'clear'
      : lows.every((lo) => lo > 0)
        ? 'likely'
        : 'none_detected';
  }
  return { grid, posteriors, best, leader, status, effect, ropeHalfWidth: r, differences };
}

function couldFitInRope(a: BetaParams, b: BetaParams, r: number): boolean {
  const logConcave = a.alpha >= 1 && a.beta >= 1 && b.alpha >= 1 && b.beta >= 1;
  if (!logConcave) return true;
  return 2 * r >= 0.95 * Math.sqrt(posteriorVariance(a) + posteriorVariance(b));
}
