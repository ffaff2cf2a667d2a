/**
 * Seeded randomness for the simulation: every draw of the demo comes from a generator made
 * here, so a seed fixes every visitor's conversions and engagement.
 */

/** Uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * Mulberry32 (Tommy Ettinger's 32-bit generator, period 2^32): fast, small, and good enough
 * for simulated visitors (not for anything secret).
 * @param seed any integer; only its low 32 bits are used.
 * @returns a generator of uniform numbers in [0, 1), 32 bits of resolution.
 */
export function mulberry32(seed: number): Random {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The generator of visitor `index` under `seed`: independent of the order in which visitors
 * run (they overlap in time), so the same seed gives every visitor the same draws.
 * @param seed any integer (low 32 bits used).
 * @param index the visitor's number, a non-negative integer.
 */
export function visitorRandom(seed: number, index: number): Random {
  // SplitMix32-style mixing of (seed, index) into the generator's starting state.
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return mulberry32(h ^ (h >>> 16));
}

/**
 * A draw from the exponential distribution with the given mean (inverse transform).
 * @param random the generator to draw from.
 * @param mean the mean, > 0, in the caller's unit.
 */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random());
}
