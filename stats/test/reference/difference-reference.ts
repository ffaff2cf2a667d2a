/**
 * Reference density, CDF and 95% highest-density interval of D = theta_A - theta_B for
 * independent Beta posteriors (test code only; slow but right).
 *
 *   f_D(d) = int f_A(x + d) f_B(x) dx          (convolution, by adaptive Gauss-Kronrod)
 *   F_D(d) = int F_A(x + d) f_B(x) dx          (P(theta_A <= theta_B + d), same quadrature)
 *
 * HDI: for a unimodal density the shortest interval holding `mass` is the level set
 * {d : f_D(d) >= h} whose mass is exactly `mass` (Box & Tiao 1973, section 2.8; Hyndman 1996,
 * "Computing and graphing highest density regions"). The mode is found by golden-section search
 * (it lies within sqrt(3) sd of the mean for any unimodal law, Johnson & Rogers 1951), the two
 * ends of a level set by Brent's root finder on f_D - h on either side of the mode, and h by
 * Brent's root finder on the mass F_D(upper) - F_D(lower) - mass. Unimodality is guaranteed here by requiring every shape parameter
 * to be >= 1: such Beta densities are log-concave, and so is a convolution of log-concave
 * densities (Prekopa 1973), so f_D is log-concave and unimodal.
 */

import { mirror, posteriorWindow } from './best-arm-reference.js';
import { integrateAdaptive } from './gauss-kronrod.js';
import {
  type BetaShape,
  betaLogDensity,
  betaMean,
  betaStandardDeviation,
  logBetaCdf,
} from './incomplete-beta.js';
import { brentRoot } from './root-finding.js';

const BULK_OFFSETS = [-30, -20, -12, -8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8, 12, 20, 30];

/** Split points inside [lo, hi]: B's bulk marks, A's bulk marks shifted by -d, and extras. */
function convolutionPoints(
  a: BetaShape,
  b: BetaShape,
  d: number,
  lo: number,
  hi: number,
  extras: readonly number[],
): number[] {
  const points = [lo, hi];
  const push = (x: number) => {
    if (x > lo && x < hi) points.push(x);
  };
  for (const s of BULK_OFFSETS) {
    push(betaMean(b) + s * betaStandardDeviation(b));
    push(betaMean(a) + s * betaStandardDeviation(a) - d);
  }
  for (const x of extras) push(x);
  points.sort((x, y) => x - y);
  return points.filter((x, i) => i === 0 || x > points[i - 1]!);
}

/** Everything the convolution needs, computed once per pair of posteriors. */
export class DifferenceDistribution {
  readonly windowA: [number, number];
  readonly windowB: [number, number];
  /** Support of D (up to <= 2e-16 of mass): [loA - hiB, hiA - loB]. */
  readonly support: [number, number];
  readonly mean: number;
  readonly standardDeviation: number;
  private readonly densityTolerance: number;

  constructor(
    readonly a: BetaShape,
    readonly b: BetaShape,
  ) {
    this.windowA = posteriorWindow(a);
    this.windowB = posteriorWindow(b);
    this.support = [this.windowA[0] - this.windowB[1], this.windowA[1] - this.windowB[0]];
    this.mean = betaMean(a) - betaMean(b);
    this.standardDeviation = Math.hypot(betaStandardDeviation(a), betaStandardDeviation(b));
    // The density peaks at about 0.4 / sd; 1e-12 of that is ample for locating level sets.
    this.densityTolerance = 1e-12 / this.standardDeviation;
  }

  /** f_D(d). */
  density(d: number): number {
    const lo = Math.max(this.windowB[0], this.windowA[0] - d);
    const hi = Math.min(this.windowB[1], this.windowA[1] - d);
    if (!(hi > lo)) return 0;
    const { a, b } = this;
    const points = convolutionPoints(a, b, d, lo, hi, []);
    const r = integrateAdaptive(
      (x) => [
        Math.exp(betaLogDensity(x + d, a.alpha, a.beta) + betaLogDensity(x, b.alpha, b.beta)),
      ],
      points,
      1,
      { absoluteTolerance: this.densityTolerance },
    );
    return r.value[0]!;
  }

  /** F_D(d) = P(theta_A - theta_B <= d), to about 1e-11 absolute (the incomplete beta's own accuracy). */
  cdf(d: number): number {
    if (d <= this.support[0]) return 0;
    if (d >= this.support[1]) return 1;
    const { a, b } = this;
    const [lo, hi] = this.windowB;
    // F_A(x + d) has corners where x + d leaves A's window; split there too.
    const points = convolutionPoints(a, b, d, lo, hi, [this.windowA[0] - d, this.windowA[1] - d]);
    const r = integrateAdaptive(
      (x) => {
        const fB = Math.exp(betaLogDensity(x, b.alpha, b.beta));
        if (fB === 0) return [0];
        return [Math.exp(logBetaCdf(x + d, a.alpha, a.beta).lower) * fB];
      },
      points,
      1,
      { absoluteTolerance: 1e-11 },
    );
    return r.value[0]!;
  }

  /** The mode of f_D by golden-section search around the mean. */
  mode(): number {
    const ratio = (Math.sqrt(5) - 1) / 2;
    let lo = Math.max(this.support[0], this.mean - 4 * this.standardDeviation);
    let hi = Math.min(this.support[1], this.mean + 4 * this.standardDeviation);
    let x1 = hi - ratio * (hi - lo);
    let x2 = lo + ratio * (hi - lo);
    let f1 = this.density(x1);
    let f2 = this.density(x2);
    for (let i = 0; i < 200 && hi - lo > 1e-14 * this.standardDeviation; i++) {
      if (f1 < f2) {
        lo = x1;
        x1 = x2;
        f1 = f2;
        x2 = lo + ratio * (hi - lo);
        f2 = this.density(x2);
      } else {
        hi = x2;
        x2 = x1;
        f2 = f1;
        x1 = hi - ratio * (hi - lo);
        f1 = this.density(x1);
      }
    }
    return 0.5 * (lo + hi);
  }
}

export interface ReferenceHdi {
  readonly interval: [number, number];
  /** F_D(upper) - F_D(lower) at the end of the search. */
  readonly mass: number;
  /** f_D at the two ends (equal at a true HDI of a continuous unimodal density). */
  readonly densityAtEnds: [number, number];
  readonly mode: number;
}

/** Shortest interval holding `mass` of theta_A - theta_B (all shapes must be >= 1). */
export function referenceDifferenceHdi(a: BetaShape, b: BetaShape, mass = 0.95): ReferenceHdi {
  for (const s of [a.alpha, a.beta, b.alpha, b.beta]) {
    if (!(s >= 1))
      throw new RangeError('referenceDifferenceHdi needs every shape >= 1 (unimodality)');
  }
  // D = theta_A - theta_B = (1 - theta_B) - (1 - theta_A): for posteriors near 1 work with the
  // mirrored laws, which live near 0 where doubles are dense (see best-arm-reference.ts).
  if (betaMean(a) + betaMean(b) > 1) return referenceDifferenceHdi(mirror(b), mirror(a), mass);
  const dist = new DifferenceDistribution(a, b);
  const f = (d: number) => dist.density(d);
  const mode = dist.mode();
  const peak = f(mode);
  const xTolerance = 1e-13 * dist.standardDeviation;
  // The two ends of the level set {f_D >= level}: f_D rises from ~0 at the support's lower end
  // to the peak at the mode and falls again, so each side has exactly one crossing.
  const ends = (level: number): [number, number] => [
    brentRoot((d) => f(d) - level, dist.support[0], mode, xTolerance),
    brentRoot((d) => f(d) - level, mode, dist.support[1], xTolerance),
  ];
  const massAt = (level: number) => {
    const [lo, hi] = ends(level);
    return dist.cdf(hi) - dist.cdf(lo);
  };
  // The mass of the level set falls from ~1 to 0 as the level rises from 0 to the peak.
  const level = brentRoot((h) => massAt(h) - mass, 1e-6 * peak, (1 - 1e-9) * peak, 1e-13 * peak);
  const interval = ends(level);
  return {
    interval,
    mass: dist.cdf(interval[1]) - dist.cdf(interval[0]),
    densityAtEnds: [f(interval[0]), f(interval[1])],
    mode,
  };
}

const cache = new Map<string, ReferenceHdi>();

/** referenceDifferenceHdi memoised on the exact parameters. */
export function cachedReferenceDifferenceHdi(
  a: BetaShape,
  b: BetaShape,
  mass = 0.95,
): ReferenceHdi {
  const key = `${a.alpha},${a.beta};${b.alpha},${b.beta};${mass}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = referenceDifferenceHdi(a, b, mass);
    cache.set(key, hit);
  }
  return hit;
}
