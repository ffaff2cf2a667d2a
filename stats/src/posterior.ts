import { type BetaGrid, buildBetaGrid, quantileOnGrid, rateDensity } from './beta-grid.js';
import { assertInRange, StatsInputError } from './errors.js';
import type { BetaParams } from './types.js';

/** Points of a posterior density for a chart: rates (absolute units) and density values. */
export interface DensityCurve {
  readonly x: number[];
  readonly y: number[];
}

/**
 * Range of Beta parameters the engine computes with: at least the smallest prior parameter
 * (0.01) and at most a trillion visitors on top of the largest prior (beyond that double
 * precision no longer separates the posteriors of nearly equal rates).
 */
export const POSTERIOR_PARAMETER_RANGE = Object.freeze({ min: 0.01, max: 1e13 });

/**
 * Throws unless `posterior` is { alpha, beta } with both in POSTERIOR_PARAMETER_RANGE.
 * @throws StatsInputError naming `<field>`, `<field>.alpha` or `<field>.beta`.
 */
export function assertPosterior(
  posterior: unknown,
  field: string,
): asserts posterior is BetaParams {
  if (typeof posterior !== 'object' || posterior === null) {
    throw new StatsInputError(field, 'must be { alpha, beta }');
  }
  const { alpha, beta } = posterior as Partial<BetaParams>;
  const { min, max } = POSTERIOR_PARAMETER_RANGE;
  assertInRange(alpha, `${field}.alpha`, min, max);
  assertInRange(beta, `${field}.beta`, min, max);
}

/** Points per density curve: enough for a smooth line at dashboard sizes. */
const DENSITY_POINTS = 33;

/**
 * Posterior of a variant's conversion rate under the Beta-Binomial model:
 * theta ~ Beta(a0 + c, b0 + n - c) (Gelman et al., Bayesian Data Analysis, 3rd ed., section 2.4).
 *
 * @param prior Beta(a0, b0).
 * @param visitors n, exposed visitors.
 * @param conversions c, converted visitors, 0 <= c <= n.
 * Inputs are validated by the caller (decide); O(1).
 */
export function betaPosterior(
  prior: BetaParams,
  visitors: number,
  conversions: number,
): BetaParams {
  return { alpha: prior.alpha + conversions, beta: prior.beta + visitors - conversions };
}

/**
 * Posterior variance alpha beta / ((alpha + beta)^2 (alpha + beta + 1)), squared absolute
 * conversion-rate units (Gelman et al., BDA3, appendix A). O(1).
 */
export function posteriorVariance(p: BetaParams): number {
  const n = p.alpha + p.beta;
  return (p.alpha * p.beta) / (n * n * (n + 1));
}

/** Posterior mean alpha / (alpha + beta), absolute conversion-rate units. O(1). */
export function posteriorMean(p: BetaParams): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Equal-tailed credible interval of arm j of a grid. */
export function credibleIntervalOnGrid(grid: BetaGrid, j: number, mass = 0.95): [number, number] {
  const tail = (1 - mass) / 2;
  const lo = quantileOnGrid(grid, j, tail);
  const hi = quantileOnGrid(grid, j, 1 - tail);
  // For a tiny mass the two quantiles can cross by rounding: keep them ordered.
  return lo <= hi ? [lo, hi] : [(lo + hi) / 2, (lo + hi) / 2];
}

/**
 * Equal-tailed credible interval of a Beta posterior: [Q((1 - mass)/2), Q((1 + mass)/2)],
 * quantiles found on the engine's logit-scale quadrature grid (see beta-grid.ts), absolute
 * error about 1e-9.
 *
 * Example: credibleInterval({ alpha: 2, beta: 68 }) is about [0.0035, 0.0781].
 *
 * @throws StatsInputError for a parameter outside POSTERIOR_PARAMETER_RANGE
 *   (`posterior.alpha`, `posterior.beta`) or a mass outside (0, 1).
 */
export function credibleInterval(posterior: BetaParams, mass = 0.95): [number, number] {
  assertPosterior(posterior, 'posterior');
  assertInRange(mass, 'mass', 1e-6, 1 - 1e-6);
  return credibleIntervalOnGrid(buildBetaGrid([posterior]), 0, mass);
}

/**
 * Density of arm j at DENSITY_POINTS evenly spaced rates for the dashboard's posterior chart,
 * spanning its 95% credible interval widened by half its width on each side (about the central
 * 99.9% of a bell-shaped posterior), clipped to [0, 1]. O(points).
 */
export function densityCurveOnGrid(
  grid: BetaGrid,
  j: number,
  ci95: readonly [number, number],
): DensityCurve {
  const [lo, hi] = ci95;
  const from = Math.max(0, lo - (hi - lo) / 2);
  const to = Math.min(1, hi + (hi - lo) / 2);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < DENSITY_POINTS; i++) {
    const rate = from + ((to - from) * i) / (DENSITY_POINTS - 1);
    x.push(rate);
    y.push(rateDensity(grid, j, rate));
  }
  return { x, y };
}
