/**
 * Seeded Monte Carlo for Beta posteriors (test code only): a third, independent route to
 * P(best), E[max] and the mass of an interval of theta_A - theta_B, each returned with its
 * standard error so that tests can state tolerances as a number of standard errors.
 *
 * Uniforms: pure-rand's xoroshiro128+ with uniformFloat64 (53 random bits). Normals: Marsaglia's
 * polar method. Gamma(shape): Marsaglia & Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000, for shape >= 1, and the boost Gamma(a) = Gamma(a + 1) U^(1/a)
 * (same paper, section 6) for shape < 1. Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b).
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { BetaShape } from './incomplete-beta.js';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** A seeded source of Beta draws; every call advances its own generator only. */
export class BetaSampler {
  private readonly rng: Generator;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  /** Uniform on (0, 1): uniformFloat64 is on [0, 1), so 0 is redrawn. */
  uniform(): number {
    for (;;) {
      const u = uniformFloat64(this.rng);
      if (u > 0) return u;
    }
  }

  /** Standard normal by Marsaglia's polar method (pairs; the second is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * factor;
        return u * factor;
      }
    }
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.uniform();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Beta(alpha, beta) as a ratio of gammas. */
  beta(p: BetaShape): number {
    const x = this.gamma(p.alpha);
    const y = this.gamma(p.beta);
    return x / (x + y);
  }
}

export interface MonteCarloBestArm {
  readonly draws: number;
  readonly probabilityToBeBest: number[];
  /** sqrt(p (1 - p) / draws) for each P(best). */
  readonly probabilityStandardError: number[];
  readonly expectedMax: number;
  readonly expectedMaxStandardError: number;
}

/** P(best) and E[max] from `draws` joint draws of the posteriors. */
export function monteCarloBestArm(
  posteriors: readonly BetaShape[],
  draws: number,
  seed: number,
): MonteCarloBestArm {
  const sampler = new BetaSampler(seed);
  const wins = new Array<number>(posteriors.length).fill(0);
  let sumMax = 0;
  let sumMaxSquared = 0;
  for (let n = 0; n < draws; n++) {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    posteriors.forEach((p, i) => {
      const theta = sampler.beta(p);
      if (theta > bestValue) {
        bestValue = theta;
        best = i;
      }
    });
    wins[best]! += 1;
    sumMax += bestValue;
    sumMaxSquared += bestValue * bestValue;
  }
  const probabilityToBeBest = wins.map((w) => w / draws);
  const meanMax = sumMax / draws;
  const varianceMax = Math.max(0, sumMaxSquared / draws - meanMax * meanMax);
  return {
    draws,
    probabilityToBeBest,
    probabilityStandardError: probabilityToBeBest.map((p) => Math.sqrt((p * (1 - p)) / draws)),
    expectedMax: meanMax,
    expectedMaxStandardError: Math.sqrt(varianceMax / draws),
  };
}

/** Fraction of draws of theta_A - theta_B inside [lo, hi], with its standard error. */
export function monteCarloDifferenceMass(
  a: BetaShape,
  b: BetaShape,
  interval: readonly [number, number],
  draws: number,
  seed: number,
): { mass: number; standardError: number } {
  const sampler = new BetaSampler(seed);
  let inside = 0;
  for (let n = 0; n < draws; n++) {
    const d = sampler.beta(a) - sampler.beta(b);
    if (d >= interval[0] && d <= interval[1]) inside += 1;
  }
  const mass = inside / draws;
  return { mass, standardError: Math.sqrt((mass * (1 - mass)) / draws) };
}
