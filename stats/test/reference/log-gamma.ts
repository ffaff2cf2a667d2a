/**
 * Reference log-gamma and log-beta for the tests (test code only; nothing here is imported by
 * the engine, and nothing here imports the engine).
 *
 * Method: Stirling's series for ln Gamma(x) with x >= 10, summed through the x^-15 term (the
 * first omitted term is 43867 / (798 * 306 * x^17) < 2e-18 at x = 10), and the recurrence
 * Gamma(x) = Gamma(x + m) / (x (x + 1) ... (x + m - 1)) to bring smaller arguments up to 10.
 * Abramowitz & Stegun 6.1.40 (series), 6.1.15 (recurrence).
 *
 * ln B(a, b) for large a and b is NOT computed as lnGamma(a) + lnGamma(b) - lnGamma(a + b): at
 * a + b = 1e6 those terms are ~1.3e7 and their difference would keep only ~1e-9 absolute
 * accuracy. Instead the leading Stirling terms are combined analytically first (see logBeta), so
 * the large terms that remain cancel only down to what the inputs themselves carry (~1e-10 at
 * a, b ~ 5e5, the rounding of (a - 1/2) ln(a / (a + b)), which no double formula can avoid).
 */

const HALF_LOG_TWO_PI = 0.9189385332046728;

/** Coefficients B_{2k} / (2k (2k - 1)) of Stirling's series, k = 1..8. */
const STIRLING = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
];

/**
 * Stirling correction delta(x) = ln Gamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)], for x > 0.
 * For x >= 10 by the asymptotic series directly (no cancellation); below by the definition.
 */
export function stirlingCorrection(x: number): number {
  if (x >= 10) {
    const inv = 1 / x;
    const inv2 = inv * inv;
    let sum = 0;
    let power = inv;
    for (const coefficient of STIRLING) {
      sum += coefficient * power;
      power *= inv2;
    }
    return sum;
  }
  return logGamma(x) - ((x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI);
}

/** ln Gamma(x) for x > 0, about 1e-15 relative (absolute near the zeros at x = 1 and 2). */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma: x must be > 0, got ${x}`);
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + stirlingCorrection(x);
  let product = 1;
  let y = x;
  while (y < 10) {
    product *= y;
    y += 1;
  }
  return logGamma(y) - Math.log(product);
}

/**
 * ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0, arranged so that the
 * large Stirling terms cancel analytically (derivation in the comments below).
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`logBeta: a, b must be > 0, got ${a}, ${b}`);
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const s = p + q;
  if (q < 10) return logGamma(p) + logGamma(q) - logGamma(s);
  if (p < 10) {
    // ln Gamma(q) - ln Gamma(q + p), both by Stirling:
    //   (q - 1/2) ln q - (s - 1/2) ln s + p + delta(q) - delta(s)
    // = -(q - 1/2) log1p(p / q) - p ln s + p + delta(q) - delta(s).
    return (
      logGamma(p) -
      (q - 0.5) * Math.log1p(p / q) -
      p * Math.log(s) +
      p +
      stirlingCorrection(q) -
      stirlingCorrection(s)
    );
  }
  // Both >= 10: (p - 1/2) ln(p / s) + (q - 1/2) ln(q / s) - ln(s) / 2 + ln sqrt(2 pi) + deltas;
  // q / s >= 1/2, so ln(q / s) = log1p(-p / s) keeps its small value exact.
  return (
    (p - 0.5) * Math.log(p / s) +
    (q - 0.5) * Math.log1p(-p / s) -
    0.5 * Math.log(s) +
    HALF_LOG_TWO_PI +
    stirlingCorrection(p) +
    stirlingCorrection(q) -
    stirlingCorrection(s)
  );
}
