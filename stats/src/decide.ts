/**
 * `decide`: the engine's entry point (STATS.md section 12). Counts in, a machine-readable,
 * versioned decision out, with the plain-English recommendation.
 */
import { allocateTraffic } from './allocation.js';
import { evaluate, resolveThresholds } from './decision.js';
import { assertCount, StatsInputError } from './errors.js';
import { type Projection, projectSettlement } from './planner.js';
import {
  credibleIntervalOnGrid,
  type DensityCurve,
  densityCurveOnGrid,
  posteriorMean,
} from './posterior.js';
import { resolvePrior } from './prior.js';
import {
  assertProxyAccumulator,
  type ProxyAccumulator,
  type ProxyPosterior,
  proxyPosterior,
} from './proxy/index.js';
import { writeRecommendation } from './recommendation.js';
import { type AllocationEpoch, sampleRatioMismatch } from './srm.js';
import type {
  BanditMode,
  BetaParams,
  DecisionStatus,
  Effect,
  PriorChoice,
  ResolvedThresholds,
  Thresholds,
  VariantCounts,
} from './types.js';

/** Version of the Decision object's shape; bumped on any breaking change. */
export const DECISION_VERSION = 1;

/** Input of {@link decide}. */
export interface DecideInput {
  /** K >= 2 variants with unique keys; visitors and conversions are non-negative integers. */
  readonly variants: readonly VariantCounts[];
  /** Tier 1 prior Beta(alpha, beta), set by the user on the experiment. */
  readonly prior?: BetaParams | null;
  /** Tier 2: final conversion rates of the project's past experiments' variants. */
  readonly history?: readonly number[] | null;
  readonly thresholds?: Thresholds;
  /** Traffic allocation mode (STATS.md section 8), default 'top-two'. */
  readonly bandit?: BanditMode;
  /**
   * Proxy metric (STATS.md section 7): per-variant running sums of the engagement score, keyed
   * like `variants` (see `addProxyObservation`). Used while conversions are sparse.
   */
  readonly proxy?: { readonly variants: readonly ProxyAccumulator[] } | null;
  /**
   * Allocation epochs for the SRM guard (STATS.md section 10): per epoch, the weights in force
   * and the visitors first exposed during it, both indexed like `variants`.
   */
  readonly allocationEpochs?: readonly AllocationEpoch[] | null;
  /**
   * The projection of the visitors still needed, with keep_testing: true (default) computes it,
   * false skips it, and a Projection computed earlier (for nearly the same counts) is reused as
   * it is, for callers that decide again after every few visitors.
   */
  readonly projection?: boolean | Projection;
}

/** Per-variant part of a {@link Decision}. Rates in absolute units. */
export interface VariantDecision {
  readonly key: string;
  readonly visitors: number;
  readonly conversions: number;
  /** Posterior mean of the conversion rate. */
  readonly mean: number;
  /** 95% equal-tailed credible interval [lo, hi]. */
  readonly ci95: [number, number];
  readonly pBest: number;
  /** Expected loss of shipping this variant, absolute conversion-rate units. */
  readonly expectedLoss: number;
  /** Share of new traffic under the bandit mode. */
  readonly allocation: number;
  /** Posterior parameters. */
  readonly posterior: { readonly alpha: number; readonly beta: number };
  /** Posterior density at evenly spaced rates over its central 99.9%, for charts. */
  readonly density: DensityCurve;
}

/** The leader compared with one other variant. */
export interface DifferenceDecision {
  /** The other variant's key. */
  readonly vs: string;
  /** Posterior mean of theta_leader - theta_vs. */
  readonly mean: number;
  /** 95% highest-density interval of theta_leader - theta_vs. */
  readonly hdi95: [number, number];
  /** Whether hdi95 lies inside the ROPE [-r, r]. */
  readonly insideRope: boolean;
}

/** The decision object (STATS.md sections 6 and 12); plain numbers and strings only. */
export interface Decision {
  readonly version: typeof DECISION_VERSION;
  readonly status: DecisionStatus;
  /** Key of the variant with the highest posterior mean (the smallest expected loss). */
  readonly leader: string;
  /** With ready_to_ship only, else null. */
  readonly effect: Effect | null;
  readonly variants: VariantDecision[];
  readonly differences: DifferenceDecision[];
  /** ROPE half-width r in absolute units, and whether it came from ropeRelative. */
  readonly rope: { readonly halfWidth: number; readonly relative: boolean };
  readonly prior: PriorChoice;
  readonly thresholds: ResolvedThresholds;
  readonly bandit: BanditMode;
  readonly srm: {
    readonly detected: boolean;
    /** Null when no allocation epochs were given. */
    readonly pValue: number | null;
    readonly chiSquare: number | null;
  };
  /** Proxy-metric posterior when proxy sums were given, else null. */
  readonly proxy: ProxyPosterior | null;
  /** With keep_testing (unless disabled), else null. */
  readonly projection: Projection | null;
  readonly recommendation: string;
}

const BANDIT_MODES: readonly BanditMode[] = ['top-two', 'thompson', 'off'];

/** Checks a projection passed back in for reuse, field by field (`projection.<field>`). */
function assertProjection(projection: unknown): asserts projection is Projection {
  if (typeof projection !== 'object' || projection === null) {
    throw new StatsInputError('projection', 'must be a boolean or a projection object');
  }
  const p = projection as Record<string, unknown>;
  const more = p.additionalVisitorsPerVariant;
  if (more !== null) assertCount(more, 'projection.additionalVisitorsPerVariant');
  assertCount(p.horizonPerVariant, 'projection.horizonPerVariant');
  assertCount(p.simulations, 'projection.simulations');
  const share = p.settledShare;
  if (typeof share !== 'number' || !(share >= 0 && share <= 1)) {
    throw new StatsInputError('projection.settledShare', 'must be a number in [0, 1]');
  }
}

/**
 * Most visitors per variant: a trillion. Beyond it double precision no longer separates the
 * posteriors of nearly equal rates (see POSTERIOR_PARAMETER_RANGE).
 */
export const MAX_VISITORS = 1e12;

/** Longest variant key, in UTF-16 code units. */
const MAX_KEY_LENGTH = 200;

function validateVariants(variants: unknown): readonly VariantCounts[] {
  if (!Array.isArray(variants)) throw new StatsInputError('variants', 'must be an array');
  if (variants.length < 2) {
    throw new StatsInputError('variants', `needs at least 2 variants, got ${variants.length}`);
  }
  if (variants.length > 50) throw new StatsInputError('variants', 'at most 50 variants');
  const seen = new Set<string>();
  const checked: VariantCounts[] = [];
  // An index loop, not forEach: a sparse array's holes must be reported, not skipped.
  for (let i = 0; i < variants.length; i++) {
    const v = variants[i] as Partial<VariantCounts> | null | undefined;
    if (typeof v !== 'object' || v === null) {
      throw new StatsInputError(`variants[${i}]`, 'must be { key, visitors, conversions }');
    }
    if (typeof v.key !== 'string' || v.key.length === 0 || v.key.length > MAX_KEY_LENGTH) {
      throw new StatsInputError(
        `variants[${i}].key`,
        `must be a string of 1 to ${MAX_KEY_LENGTH} characters`,
      );
    }
    if (seen.has(v.key)) {
      throw new StatsInputError(`variants[${i}].key`, `duplicate key '${v.key}'`);
    }
    seen.add(v.key);
    assertCount(v.visitors, `variants[${i}].visitors`);
    if (v.visitors > MAX_VISITORS) {
      throw new StatsInputError(`variants[${i}].visitors`, `must be at most ${MAX_VISITORS}`);
    }
    assertCount(v.conversions, `variants[${i}].conversions`);
    if (v.conversions > v.visitors) {
      throw new StatsInputError(
        `variants[${i}].conversions`,
        `must not exceed visitors (${v.visitors}), got ${v.conversions}`,
      );
    }
    // + 0 turns -0 into 0.
    checked.push({ key: v.key, visitors: v.visitors + 0, conversions: v.conversions + 0 });
  }
  return checked;
}

function alignProxy(
  proxy: NonNullable<DecideInput['proxy']>,
  variants: readonly VariantCounts[],
): ProxyAccumulator[] {
  if (typeof proxy !== 'object' || !Array.isArray(proxy.variants)) {
    throw new StatsInputError('proxy.variants', 'must be an array of per-variant sums');
  }
  // Validated here, so errors name the proxy's own fields (proxy.variants[i].sumY2).
  const byKey = new Map<string, ProxyAccumulator>();
  proxy.variants.forEach((sums, i) => {
    assertProxyAccumulator(sums, `proxy.variants[${i}]`);
    if (byKey.has(sums.key)) {
      throw new StatsInputError(`proxy.variants[${i}].key`, `duplicate key '${sums.key}'`);
    }
    byKey.set(sums.key, sums);
  });
  return variants.map((v) => {
    const sums = byKey.get(v.key);
    if (!sums) throw new StatsInputError('proxy.variants', `no sums for variant '${v.key}'`);
    return sums;
  });
}

/**
 * Decides what to do with an experiment, from its counts (STATS.md sections 2 to 12).
 *
 * Steps: the prior (user, historical or default); each variant's Beta posterior; probability
 * to be best and expected loss by quadrature; the leader; 95% HDIs of the leader against each
 * other variant and the ROPE; the four-state status in the order collecting_data,
 * ready_to_ship, practically_equivalent, keep_testing; the bandit's allocation (equal while
 * collecting data, so every variant reaches its minimum); the SRM guard; the proxy metric; a
 * projection of the visitors still needed; and the recommendation.
 *
 * Example (the headline case, 50 visitors each, 0 versus 1 conversion):
 *   decide({ variants: [{ key: 'control', visitors: 50, conversions: 0 },
 *                       { key: 'b', visitors: 50, conversions: 1 }] })
 *   -> status 'keep_testing', leader 'b', pBest about [0.25, 0.75], expected loss of b about
 *      0.0035 (0.35 percentage points), allocation [0.5, 0.5].
 *
 * Complexity: tens of microseconds for K <= 5 without the projection; the projection (only
 * with keep_testing) simulates a few hundred decisions.
 *
 * @throws StatsInputError naming the field: `variants` (not an array, K < 2 or K > 50),
 *   `variants[i].key` (empty or duplicate), `variants[i].visitors` / `.conversions` (not a
 *   non-negative integer, or conversions > visitors), `prior.alpha` / `prior.beta` (<= 0),
 *   `history[i]`, `thresholds.<field>`, `bandit`, `proxy.variants[i]...`,
 *   `allocationEpochs[e]...`, `projection.<field>` (a reused projection). Never returns NaN.
 */
export function decide(input: DecideInput): Decision {
  if (typeof input !== 'object' || input === null)
    throw new StatsInputError('input', 'must be an object');
  const variants = validateVariants(input.variants);
  const prior = resolvePrior({ prior: input.prior ?? null, history: input.history ?? null });
  const thresholds = resolveThresholds(input.thresholds);
  const bandit = input.bandit ?? 'top-two';
  if (!BANDIT_MODES.includes(bandit)) {
    throw new StatsInputError(
      'bandit',
      `must be one of ${BANDIT_MODES.join(', ')}, got ${String(bandit)}`,
    );
  }
  const epochs = input.allocationEpochs ?? null;
  if (epochs !== null) {
    if (!Array.isArray(epochs)) {
      throw new StatsInputError('allocationEpochs', 'must be an array of allocation epochs');
    }
    for (const [e, epoch] of epochs.entries()) {
      if (
        epoch?.weights?.length !== variants.length ||
        epoch.visitors?.length !== variants.length
      ) {
        throw new StatsInputError(
          `allocationEpochs[${e}]`,
          `weights and visitors need one entry per variant (${variants.length})`,
        );
      }
    }
  }
  if (input.projection !== undefined && typeof input.projection !== 'boolean') {
    assertProjection(input.projection);
  }
  const srmResult = epochs === null ? null : sampleRatioMismatch(epochs);
  const proxy = input.proxy ? proxyPosterior(alignProxy(input.proxy, variants)) : null;

  const verdict = evaluate(variants, prior, thresholds, 'full');
  const { grid, posteriors, best, leader, status, effect } = verdict;
  const r = verdict.ropeHalfWidth;
  const allocation =
    status === 'collecting_data'
      ? variants.map(() => 1 / variants.length)
      : allocateTraffic(best.probabilityToBeBest, bandit);
  const projection =
    status !== 'keep_testing' || input.projection === false
      ? null
      : typeof input.projection === 'object'
        ? input.projection
        : projectSettlement(variants, prior, thresholds);

  const leaderMean = posteriorMean(posteriors[leader]!);
  const differences = verdict.differences.map(({ other, hdi95 }) => ({
    vs: variants[other]!.key,
    mean: leaderMean - posteriorMean(posteriors[other]!),
    hdi95: hdi95!,
    insideRope: hdi95![0] >= -r && hdi95![1] <= r,
  }));
  const srm = {
    detected: srmResult?.detected ?? false,
    pValue: srmResult?.pValue ?? null,
    chiSquare: srmResult?.chiSquare ?? null,
  };
  const proxyLeader =
    proxy && (status === 'collecting_data' || status === 'keep_testing')
      ? proxy.variants.reduce((a, b) => (b.pBest > a.pBest ? b : a))
      : null;

  const recommendation = writeRecommendation({
    status,
    effect,
    leader: variants[leader]!.key,
    leaderPBest: best.probabilityToBeBest[leader]!,
    leaderLoss: best.expectedLoss[leader]!,
    differences,
    ropeHalfWidth: r,
    minVisitorsPerVariant: thresholds.minVisitorsPerVariant,
    shortVariants: variants.filter((v) => v.visitors < thresholds.minVisitorsPerVariant),
    srm,
    projection,
    proxyLeader: proxyLeader && { key: proxyLeader.key, pBest: proxyLeader.pBest },
  });

  return {
    version: DECISION_VERSION,
    status,
    leader: variants[leader]!.key,
    effect,
    variants: variants.map((v, i) => {
      const ci95 = credibleIntervalOnGrid(grid, i);
      return {
        key: v.key,
        visitors: v.visitors,
        conversions: v.conversions,
        mean: posteriorMean(posteriors[i]!),
        ci95,
        pBest: best.probabilityToBeBest[i]!,
        expectedLoss: best.expectedLoss[i]!,
        allocation: allocation[i]!,
        posterior: { alpha: posteriors[i]!.alpha, beta: posteriors[i]!.beta },
        density: densityCurveOnGrid(grid, i, ci95),
      };
    }),
    differences,
    rope: { halfWidth: r, relative: thresholds.ropeHalfWidth === null },
    prior,
    thresholds,
    bandit,
    srm,
    proxy,
    projection,
    recommendation,
  };
}
