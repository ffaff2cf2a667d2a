/**
 * The only module that imports jstat. jstat ships no types and keeps a process-wide random
 * generator; keeping it behind this adapter means the rest of the engine sees a small, typed,
 * deterministic surface (special functions only, never jstat's sampling).
 */
// @ts-expect-error jstat publishes no type declarations; the part of it used is typed below.
import jstatModule from 'jstat';

/** The part of jstat's surface this engine uses. */
interface JStatSpecialFunctions {
  /** Regularised lower incomplete gamma function P(a, x). */
  lowRegGamma(a: number, x: number): number;
  /** Complementary error function. */
  erfc(x: number): number;
}

const { jStat } = jstatModule as { jStat: JStatSpecialFunctions };

/**
 * Upper tail of the chi-square distribution, P(X >= x) for X ~ chi-square(df), computed as
 * 1 - P(df/2, x/2) with P the regularised lower incomplete gamma function: absolute error about
 * 1e-15, ample for the SRM guard's 0.001 threshold (p-values below 1e-15 read as 0).
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.lowRegGamma(df / 2, x / 2)));
}

/** Standard normal CDF, Phi(z) = erfc(-z / sqrt 2) / 2, absolute error below 1e-15. */
export function normalCdf(z: number): number {
  return 0.5 * jStat.erfc(-z / Math.SQRT2);
}
