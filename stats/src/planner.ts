/**
 * What the decision rule does at a given traffic: experiments simulated under continuous
 * monitoring, exactly as the live dashboard evaluates them (a decision after every small batch of
 * visitors), with a seeded generator so equal inputs give equal plans.
 */
import { allocateTraffic } from './allocation.js';
import { type Counts, evaluate, resolveThresholds } from './decision.js';
import { assertFinite, assertInRange, StatsInputError } from './errors.js';
import { resolvePrior } from './prior.js';
import { createRandom, type Random, seedFrom } from './random.js';
import type { BanditMode, BetaParams, ResolvedThresholds, Thresholds } from './types.js';

/** Input of {@link plan}. Rates in absolute units, traffic in visitors per day. */
export interface PlanInput {
  /** True conversion rate of the control, in (0, 1). */
  readonly baseRate: number;
  /** Relative lift of the best challenger: 0.2 means its rate is baseRate * 1.2. 0 is an A/A test. */
  readonly lift: number;
  /** Number of variants K >= 2 (default 2); challengers beyond the first convert at baseRate. */
  readonly variants?: number;
  /** Visitors per day over all variants, 0.01 to 1e9. */
  readonly visitorsPerDay: number;
  readonly thresholds?: Thresholds;
  /** User prior; the default Beta(1, 19) otherwise. */
  readonly prior?: BetaParams;
  readonly bandit?: BanditMode;
  /** Simulated experiments, 1 to 2,000 (default 200). */
  readonly simulations?: number;
  /**
   * Visitors per variant between two decisions (default 10); raised when needed so that no
   * simulated experiment takes more than 1,000 decisions up to maxVisitorsPerVariant, nor the
   * whole plan more than 2 million variant-decisions (variants x simulations x decisions).
   */
  readonly checkEvery?: number;
  /**
   * An experiment still undecided at this many visitors per variant counts as undecided
   * (default 20,000; at most 10,000,000).
   */
  readonly maxVisitorsPerVariant?: number;
  /** Seed, an integer in [0, 2^32); by default derived from the other inputs. */
  readonly seed?: number;
}

/**
 * Quantiles of a quantity over the simulated experiments (nearest rank); null where the
 * quantile falls among the experiments still undecided at the cap.
 */
export interface PlanQuantiles {
  readonly median: number | null;
  readonly p75: number | null;
  readonly p90: number | null;
}

/** Result of {@link plan}. */
export interface Plan {
  readonly simulations: number;
  /** True conversion rate per variant used by the simulation. */
  readonly trueRates: number[];
  /** Visitors per variant (total visitors / K) at the decision. */
  readonly visitorsPerVariant: PlanQuantiles;
  /** Days to the decision at `visitorsPerDay`. */
  readonly days: PlanQuantiles;
  /** Share of experiments ending in each state by `maxVisitorsPerVariant`. */
  readonly shares: {
    readonly readyToShip: number;
    readonly practicallyEquivalent: number;
    readonly undecided: number;
  };
  /** Share of experiments that reached ready_to_ship on a variant whose true rate is below the best's. */
  readonly wrongShipRate: number;
  readonly maxVisitorsPerVariant: number;
}

/** Most simulated experiments in one plan. */
const MAX_SIMULATIONS = 2000;
/** Most decisions per simulated experiment; checkEvery grows to respect it. */
const MAX_CHECKS = 1000;
/** Fewest decisions per simulated experiment the work budget may leave. */
const MIN_CHECKS = 20;
/** Most variant-decisions (variants x decisions) in one plan: a decision costs about 5 us per variant. */
const ARM_DECISION_BUDGET = 2_000_000;
const BANDIT_MODES: readonly BanditMode[] = ['top-two', 'thompson', 'off'];

function assertIntegerInRange(value: unknown, field: string, lo: number, hi: number) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lo || value > hi) {
    throw new StatsInputError(field, `must be an integer in [${lo}, ${hi}], got ${String(value)}`);
  }
}

interface Outcome {
  /** Total visitors over all variants when the experiment settled; Infinity if it did not. */
  readonly visitors: number;
  /** Index of the shipped variant, or null. */
  readonly shipped: number | null;
  readonly equivalent: boolean;
}

/**
 * Runs one experiment forward from `start` until the rule settles (ready_to_ship or
 * practically_equivalent) or every variant has `limit` visitors. New visitors arrive in batches
 * of `batch(totalSoFar)` per variant; the bandit's allocation decides how a batch is split.
 */
function simulateExperiment(
  rates: readonly number[],
  start: readonly Counts[],
  prior: BetaParams,
  thresholds: ResolvedThresholds,
  bandit: BanditMode,
  limit: number,
  batch: (visitorsPerVariant: number) => number,
  random: Random,
): Outcome {
  const K = rates.length;
  const visitors = start.map((c) => c.visitors);
  const conversions = start.map((c) => c.conversions);
  let allocation = rates.map(() => 1 / K);
  for (;;) {
    const perVariant = visitors.reduce((a, b) => a + b, 0) / K;
    if (perVariant >= limit)
      return { visitors: Number.POSITIVE_INFINITY, shipped: null, equivalent: false };
    // Split the batch by the allocation with sequential binomials (a multinomial draw).
    let remaining = batch(perVariant) * K;
    let share = 1;
    for (let i = 0; i < K; i++) {
      const arriving =
        i === K - 1 ? remaining : random.binomial(remaining, Math.min(1, allocation[i]! / share));
      remaining -= arriving;
      share -= allocation[i]!;
      visitors[i]! += arriving;
      conversions[i]! += random.binomial(arriving, rates[i]!);
    }
    // A batch that takes the experiment past the cap ends it undecided, whatever it shows.
    if (visitors.reduce((a, b) => a + b, 0) / K > limit) {
      return { visitors: Number.POSITIVE_INFINITY, shipped: null, equivalent: false };
    }
    const counts = visitors.map((n, i) => ({ visitors: n, conversions: conversions[i]! }));
    const verdict = evaluate(counts, prior, thresholds, 'status');
    const total = visitors.reduce((a, b) => a + b, 0);
    if (verdict.status === 'ready_to_ship')
      return { visitors: total, shipped: verdict.leader, equivalent: false };
    if (verdict.status === 'practically_equivalent')
      return { visitors: total, shipped: null, equivalent: true };
    if (verdict.status === 'keep_testing') {
      allocation = allocateTraffic(verdict.best.probabilityToBeBest, bandit);
    }
  }
}

/**
 * The q-quantile of sorted values by the nearest-rank definition (the smallest value with at
 * least q of the values at or below it); null when that value is an undecided (infinite) one.
 */
function quantile(sorted: readonly number[], q: number): number | null {
  const value = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
  return Number.isFinite(value) ? value : null;
}

/**
 * Simulates `simulations` experiments with the given true rates under continuous monitoring
 * (a decision after every `checkEvery` visitors per variant, as the live dashboard does) and
 * reports how long the rule takes, how experiments end, and how often it ships a truly worse
 * variant. Seeded from the inputs: equal inputs give equal plans.
 *
 * Example: plan({ baseRate: 0.03, lift: 1, visitorsPerDay: 80 }) simulates 3% versus 6% at 80
 * visitors a day; its `days.median` answers "when can we expect a decision?".
 *
 * Method: Monte Carlo simulation of the sequential decision procedure (Robert and Casella,
 * Monte Carlo Statistical Methods, 2nd ed., chapter 3), which is how operating characteristics
 * of Bayesian stopping rules under optional stopping are measured (Deng, Lu and Chen 2016,
 * "Continuous monitoring of A/B tests without pain", IEEE DSAA, section 5).
 *
 * Complexity: O(simulations * checks * decision), at most 2 million variant-decisions (seconds;
 * about 20 s for 20 variants, 2,000 simulations and thresholds that never settle).
 *
 * @throws StatsInputError naming the field: `input` when not an object, `baseRate` outside
 *   (0, 1), `lift` taking the best rate outside (0, 1), `variants` outside [2, 20],
 *   `visitorsPerDay` outside [0.01, 1e9], `simulations`, `checkEvery`,
 *   `maxVisitorsPerVariant` or `seed` out of range, an unknown `bandit`, invalid `thresholds`
 *   or `prior`.
 */
export function plan(input: PlanInput): Plan {
  if (typeof input !== 'object' || input === null) {
    throw new StatsInputError('input', 'must be { baseRate, lift, visitorsPerDay, ... }');
  }
  assertInRange(input.baseRate, 'baseRate', Number.MIN_VALUE, 1 - Number.EPSILON);
  assertFinite(input.lift, 'lift');
  const best = input.baseRate * (1 + input.lift);
  if (!(best > 0 && best < 1)) {
    throw new StatsInputError('lift', `baseRate * (1 + lift) must lie in (0, 1), got ${best}`);
  }
  const K = input.variants ?? 2;
  if (!Number.isSafeInteger(K) || K < 2 || K > 20) {
    throw new StatsInputError('variants', `must be an integer in [2, 20], got ${String(K)}`);
  }
  assertInRange(input.visitorsPerDay, 'visitorsPerDay', 0.01, 1e9);
  const simulations = input.simulations ?? 200;
  assertIntegerInRange(simulations, 'simulations', 1, MAX_SIMULATIONS);
  const limit = input.maxVisitorsPerVariant ?? 20_000;
  assertIntegerInRange(limit, 'maxVisitorsPerVariant', 1, 10_000_000);
  const requestedCheckEvery = input.checkEvery ?? 10;
  assertIntegerInRange(requestedCheckEvery, 'checkEvery', 1, limit);
  // Bounded work: at most MAX_CHECKS decisions per simulated experiment, and fewer when
  // variants times simulations is large, so that a plan takes seconds, not hours.
  const checks = Math.max(
    MIN_CHECKS,
    Math.min(MAX_CHECKS, Math.floor(ARM_DECISION_BUDGET / (K * simulations))),
  );
  const checkEvery = Math.max(requestedCheckEvery, Math.ceil(limit / checks));
  const bandit = input.bandit ?? 'top-two';
  if (!BANDIT_MODES.includes(bandit)) {
    throw new StatsInputError('bandit', `must be one of ${BANDIT_MODES.join(', ')}`);
  }
  if (input.seed !== undefined) assertIntegerInRange(input.seed, 'seed', 0, 2 ** 32 - 1);
  const thresholds = resolveThresholds(input.thresholds);
  const prior = resolvePrior(input.prior === undefined ? {} : { prior: input.prior });

  const trueRates = Array.from({ length: K }, (_, i) => (i === 1 ? best : input.baseRate));
  const random = createRandom(
    input.seed ??
      seedFrom(
        JSON.stringify([
          trueRates,
          input.visitorsPerDay,
          thresholds,
          prior,
          bandit,
          simulations,
          checkEvery,
          limit,
        ]),
      ),
  );
  const start = trueRates.map(() => ({ visitors: 0, conversions: 0 }));
  const outcomes: Outcome[] = [];
  for (let s = 0; s < simulations; s++) {
    outcomes.push(
      simulateExperiment(
        trueRates,
        start,
        prior,
        thresholds,
        bandit,
        limit,
        () => checkEvery,
        random,
      ),
    );
  }

  const topRate = Math.max(...trueRates);
  const perVariant = outcomes.map((o) => o.visitors / K).sort((a, b) => a - b);
  const days = perVariant.map((v) => (v * K) / input.visitorsPerDay);
  const quantiles = (values: number[]) => ({
    median: quantile(values, 0.5),
    p75: quantile(values, 0.75),
    p90: quantile(values, 0.9),
  });
  const share = (predicate: (o: Outcome) => boolean) =>
    outcomes.filter(predicate).length / simulations;
  return {
    simulations,
    trueRates,
    visitorsPerVariant: quantiles(perVariant),
    days: quantiles(days),
    shares: {
      readyToShip: share((o) => o.shipped !== null),
      practicallyEquivalent: share((o) => o.equivalent),
      undecided: share((o) => !Number.isFinite(o.visitors)),
    },
    wrongShipRate: share((o) => o.shipped !== null && trueRates[o.shipped]! < topRate),
    maxVisitorsPerVariant: limit,
  };
}

/** How many more visitors would likely settle a running experiment. */
export interface Projection {
  /**
   * Median additional visitors per variant until the rule settles (ready_to_ship or
   * practically_equivalent), over futures drawn from the current posteriors; null when fewer
   * than half of them settle within `horizonPerVariant`.
   */
  readonly additionalVisitorsPerVariant: number | null;
  /** Share of simulated futures that settled within the horizon. */
  readonly settledShare: number;
  /** Additional visitors per variant simulated at most. */
  readonly horizonPerVariant: number;
  readonly simulations: number;
}

const PROJECTION_SIMULATIONS = 24;
const PROJECTION_GROWTH = 0.25;

/**
 * Projects how many more visitors per variant would likely settle an experiment, with the
 * planner's machinery: true rates are drawn from the current posteriors (the posterior
 * predictive), the experiment is continued from the current counts with equal traffic, and the
 * rule is applied at checkpoints that grow by 25% of the visitors so far (so an experiment far
 * from settling costs a few dozen decisions, not thousands). Seeded from the counts.
 *
 * Complexity: O(24 * checkpoints * decision), a few milliseconds.
 */
export function projectSettlement(
  counts: readonly Counts[],
  prior: BetaParams,
  thresholds: ResolvedThresholds,
): Projection {
  const K = counts.length;
  const perVariant = counts.reduce((a, c) => a + c.visitors, 0) / K;
  const horizon = Math.max(1000, Math.ceil(perVariant * 20));
  const random = createRandom(seedFrom(JSON.stringify([counts, prior, thresholds])));
  const extra: number[] = [];
  for (let s = 0; s < PROJECTION_SIMULATIONS; s++) {
    const rates = counts.map((c) =>
      random.beta(prior.alpha + c.conversions, prior.beta + c.visitors - c.conversions),
    );
    const outcome = simulateExperiment(
      rates,
      counts,
      prior,
      thresholds,
      'off',
      perVariant + horizon,
      (sofar) => Math.max(10, Math.ceil(sofar * PROJECTION_GROWTH)),
      random,
    );
    extra.push(outcome.visitors / K - perVariant);
  }
  extra.sort((a, b) => a - b);
  const median = quantile(extra, 0.5);
  return {
    additionalVisitorsPerVariant: median === null ? null : Math.ceil(median),
    settledShare: extra.filter(Number.isFinite).length / PROJECTION_SIMULATIONS,
    horizonPerVariant: horizon,
    simulations: PROJECTION_SIMULATIONS,
  };
}
