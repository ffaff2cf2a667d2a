/**
 * Seeded random variates for the simulations (planner, projections). The engine never touches
 * Math.random: every generator is seeded from the inputs, so equal inputs give equal outputs.
 * Uniforms come from pure-rand's xoroshiro128+ (Blackman and Vigna 2018); the variates built on
 * them are written here.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of random variates. */
export interface Random {
  /** Uniform on [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Gamma(shape, 1), shape > 0. */
  gamma(shape: number): number;
  /** Beta(alpha, beta). */
  beta(alpha: number, beta: number): number;
  /** Binomial(n, p) count. */
  binomial(n: number, p: number): number;
}

/**
 * 32-bit FNV-1a hash of a string's UTF-16 code units, used to derive seeds from inputs
 * (Fowler, Noll and Vo; draft-eastlake-fnv, section 2). O(length).
 */
export function seedFrom(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A generator seeded with `seed` (an integer).
 *
 * Methods: normal by the Marsaglia polar method (Marsaglia and Bray 1964); gamma by Marsaglia
 * and Tsang (2000), "A simple method for generating gamma variables", ACM TOMS 26(3), with the
 * U^(1/a) boost for shape < 1; beta as G1 / (G1 + G2); binomial by inversion (Devroye 1986,
 * Non-Uniform Random Variate Generation, section X.4.3) while n min(p, 1 - p) < 50, else the
 * normal approximation with continuity correction (the simulations use it only for batches of
 * thousands of visitors, where its error is far below the simulation's own noise).
 */
export function createRandom(seed: number): Random {
  const generator = xoroshiro128plus(seed | 0);
  const uniform = () => uniformFloat64(generator);
  let spareNormal: number | null = null;

  const normal = () => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    spareNormal = v * factor;
    return u * factor;
  };

  /** ln of a Gamma(shape, 1) draw; in log space so that tiny shapes do not underflow to 0. */
  const logGamma = (shape: number): number => {
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
      const u = 1 - uniform();
      return logGamma(shape + 1) + Math.log(u) / shape;
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return Math.log(d * v);
      }
    }
  };

  const gamma = (shape: number) => Math.exp(logGamma(shape));

  // X / (X + Y) = 1 / (1 + e^(ln Y - ln X)), finite even when both draws underflow.
  const beta = (a: number, b: number) => 1 / (1 + Math.exp(logGamma(b) - logGamma(a)));

  const binomial = (n: number, p: number): number => {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - binomial(n, 1 - p);
    if (n * p < 50) {
      // (1 - p)^n through logarithms: the power itself loses accuracy for n in the billions.
      const ratio = p / (1 - p);
      let probability = Math.exp(n * Math.log1p(-p));
      let cumulative = probability;
      const u = uniform();
      let k = 0;
      // The pmf past k = n p + 40 sqrt(n p) + 40 is far below double precision: stop there
      // rather than walk towards n when rounding keeps the sum a hair under u.
      const last = Math.min(n, Math.ceil(n * p + 40 * Math.sqrt(n * p) + 40));
      while (u > cumulative && k < last) {
        probability *= (ratio * (n - k)) / (k + 1);
        k++;
        cumulative += probability;
      }
      return k;
    }
    const draw = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal());
    return Math.min(n, Math.max(0, draw));
  };

  return { uniform, normal, gamma, beta, binomial };
}
