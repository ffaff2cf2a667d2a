/**
 * The only module that imports jstat. jstat ships no types and keeps a process-wide random
 * generator; keeping it behind this adapter means the rest of the engine sees a small, typed,
 * deterministic surface (special functions only, never jstat's sampling).
 */
// @ts-expect-error jstat publishes no type declarations; the surface used is typed below.
import jstatModule from 'jstat';

interface JStatSpecialFunctions {
  betaln(a: number, b: number): number;
  gammaln(x: number): number;
  lowRegGamma(a: number, x: number): number;
  erfc(x: number): number;
}

const jStat = (jstatModule as { jStat: JStatSpecialFunctions }).jStat;

/** ln B(a, b), the log of the Beta function, for a, b > 0 (about 1e-13 relative accuracy). */
export function logBeta(a: number, b: number): number {
  return jStat.betaln(a, b);
}

/** ln Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  return jStat.gammaln(x);
}

/**
 * Upper tail of the chi-square distribution, P(X >= x) for X ~ chi-square(df), computed as the
 * regularised upper incomplete gamma function Q(df/2, x/2).
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.lowRegGamma(df / 2, x / 2)));
}

/** Standard normal CDF, Phi(z) = erfc(-z / sqrt 2) / 2, accurate in both tails. */
export function normalCdf(z: number): number {
  return 0.5 * jStat.erfc(-z / Math.SQRT2);
}
