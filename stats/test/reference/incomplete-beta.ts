/**
 * Reference Beta distribution functions for the tests: log density, regularised incomplete beta
 * I_x(a, b) in log space (both tails), quantiles by bisection. Test code only.
 *
 * I_x(a, b) by the continued fraction of Numerical Recipes, 3rd ed., section 6.4 (eq. 6.4.5),
 * evaluated with the modified Lentz method (section 5.2), used directly for
 * x < (a + 1) / (a + b + 2) and through I_x(a, b) = 1 - I_{1-x}(b, a) otherwise, where it
 * converges in O(sqrt(max(a, b))) iterations. NR switches to a Gauss-Legendre approximation for
 * a, b > 3000 to save time; this reference does not (slow but right): it simply allows up to
 * 20,000 + 50 sqrt(max(a, b)) iterations and throws if that is not enough.
 */
import { logBeta, stirlingCorrection } from './log-gamma.js';

export interface BetaShape {
  readonly alpha: number;
  readonly beta: number;
}

/** Both tails of a CDF in log space: lower = ln P(X <= x), upper = ln P(X > x). */
export interface LogTails {
  readonly lower: number;
  readonly upper: number;
}

const TINY = 1e-300;

/** ln(1 - e^y) for y <= 0, accurate in both regimes (Maechler 2012, "Accurately computing log(1 - exp(-|a|))"). */
export function log1mExp(y: number): number {
  if (y > 0) throw new RangeError(`log1mExp: y must be <= 0, got ${y}`);
  return y > -Math.LN2 ? Math.log(-Math.expm1(y)) : Math.log1p(-Math.exp(y));
}

/**
 * Continued fraction for I_x(a, b) (NR3 eq. 6.4.5, betacf), modified Lentz. Returns the value
 * and the number of iterations used, or null if it did not converge within the budget.
 *
 * `complement` is 1 - x, passed separately because one of x and 1 - x is always exact (x is
 * the caller's input, or 1 - x is, in the I_{1-x}(b, a) branch). The first denominator
 * 1 - (a + b) x / (a + 1) is computed as ((a + 1)(1 - x) - (b - 1) x) / (a + 1): near the
 * switch point (a + b) x / (a + 1) is ~1 and the textbook form keeps only ~1e-10 relative
 * accuracy at a ~ 1e6 (the fraction for b = 1, which ends after that term, inherits it whole);
 * the rearranged form loses nothing when x and 1 - x are both exact.
 */
function betaContinuedFraction(
  a: number,
  b: number,
  x: number,
  complement: number,
): { value: number; iterations: number } | null {
  const maxIterations = 20_000 + Math.ceil(50 * Math.sqrt(Math.max(a, b)));
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = (qap * complement - (b - 1) * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= 2 * Number.EPSILON) return { value: h, iterations: m };
  }
  return null;
}

/**
 * ln I_x(a, b) and ln(1 - I_x(a, b)) for a, b > 0 and any real x (clipped to [0, 1]).
 *
 * NR3's rule: the fraction for the lower tail when x < (a + 1) / (a + b + 2), else the one for
 * the upper tail through I_{1-x}(b, a); the other tail by log1mExp, so whichever tail is small
 * keeps its relative accuracy. Checked against 32-digit mpmath quadrature on ~500 points
 * (a, b from 0.5 to 1e6, x from -6 to +8 sd): ~1e-15 absolute for moderate parameters; next to
 * the switch point with very unequal parameters (a = 0.5 or 69 with b = 1e6, or the mirror
 * image) the fraction loses digits to cancellation in 1 + aa d, up to ~1e-11 absolute, which
 * is still 100 times below the 1e-9 the references aim at.
 */
export function logBetaCdf(x: number, a: number, b: number): LogTails {
  if (x <= 0) return { lower: Number.NEGATIVE_INFINITY, upper: 0 };
  if (x >= 1) return { lower: 0, upper: Number.NEGATIVE_INFINITY };
  // ln of x^a (1 - x)^b / B(a, b) = x (1 - x) f(x), the factor in front of the continued
  // fraction, through the accurate density (see betaLogDensity).
  const logFront = Math.log(x) + Math.log1p(-x) + betaLogDensity(x, a, b);
  if (x < (a + 1) / (a + b + 2)) {
    const cf = betaContinuedFraction(a, b, x, 1 - x);
    if (cf === null) throw new Error(`incomplete beta: no convergence (x=${x}, a=${a}, b=${b})`);
    const lower = Math.min(0, logFront + Math.log(cf.value) - Math.log(a));
    return { lower, upper: log1mExp(lower) };
  }
  const cf = betaContinuedFraction(b, a, 1 - x, x);
  if (cf === null) throw new Error(`incomplete beta: no convergence (x=${x}, a=${a}, b=${b})`);
  const upper = Math.min(0, logFront + Math.log(cf.value) - Math.log(b));
  return { lower: log1mExp(upper), upper };
}

/** I_x(a, b), the Beta(a, b) CDF at x. */
export function betaCdf(x: number, a: number, b: number): number {
  return Math.exp(logBetaCdf(x, a, b).lower);
}

/**
 * Loader's deviance term bd0(x, m) = x ln(x / m) + m - x, by its series in v = (x - m) / (x + m)
 * when x is close to m (where the direct formula would cancel). C. Loader, "Fast and accurate
 * computation of binomial probabilities" (2000), section 2.
 */
export function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    const v = (x - m) / (x + m);
    const v2 = v * v;
    let sum = (x - m) * v;
    let term = 2 * x * v;
    for (let j = 1; j < 1000; j++) {
      term *= v2;
      const next = sum + term / (2 * j + 1);
      if (next === sum) return sum;
      sum = next;
    }
    return sum;
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * ln of the Beta(a, b) density at x in [0, 1]; -Infinity outside.
 *
 * With A = a - 1 and B = b - 1 both >= 1 the density is written as Loader's binomial density,
 * f(x) = (N + 1) C(N, A) x^A (1 - x)^B with N = A + B, i.e.
 *   ln f = ln(N + 1) + ln sqrt(N / (2 pi A B)) + delta(N) - delta(A) - delta(B)
 *          - bd0(A, N x) - bd0(B, N (1 - x)),
 * which keeps ~1e-14 relative accuracy at a, b ~ 1e6, where the textbook
 * (a - 1) ln x + (b - 1) ln(1 - x) - ln B(a, b) sums terms of size 1e6 and keeps only ~1e-10.
 * Otherwise (a or b < 2, where those terms stay moderate) the textbook formula is used.
 */
export function betaLogDensity(x: number, a: number, b: number): number {
  if (x < 0 || x > 1) return Number.NEGATIVE_INFINITY;
  if (a >= 2 && b >= 2) {
    if (x === 0 || x === 1) return Number.NEGATIVE_INFINITY;
    const big = a - 1; // A
    const small = b - 1; // B
    const n = big + small;
    return (
      Math.log(n + 1) +
      0.5 * Math.log(n / (2 * Math.PI * big * small)) +
      stirlingCorrection(n) -
      stirlingCorrection(big) -
      stirlingCorrection(small) -
      deviance(big, n * x) -
      deviance(small, n * (1 - x))
    );
  }
  // (a - 1) ln x with a = 1 must be 0 even at x = 0 (0 * -Infinity is NaN).
  const left = a === 1 ? 0 : (a - 1) * Math.log(x);
  const right = b === 1 ? 0 : (b - 1) * Math.log1p(-x);
  return left + right - logBeta(a, b);
}

/** Beta(a, b) density at x. */
export function betaDensity(x: number, a: number, b: number): number {
  return Math.exp(betaLogDensity(x, a, b));
}

/** Mean a / (a + b). */
export function betaMean(p: BetaShape): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Standard deviation sqrt(a b / ((a + b)^2 (a + b + 1))). */
export function betaStandardDeviation(p: BetaShape): number {
  const s = p.alpha + p.beta;
  return Math.sqrt((p.alpha * p.beta) / (s * s * (s + 1)));
}

/**
 * The q-quantile of Beta(a, b) by bisection on the incomplete beta, run until the bracket cannot
 * shrink in double precision. The lower tail is compared in log space for q <= 1/2 and the upper
 * tail for q > 1/2, so tail quantiles of peaked posteriors keep full relative accuracy.
 */
export function betaQuantile(q: number, a: number, b: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`betaQuantile: q must be in (0, 1), got ${q}`);
  const useLower = q <= 0.5;
  const target = useLower ? Math.log(q) : Math.log1p(-q);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    const tails = logBetaCdf(mid, a, b);
    const below = useLower ? tails.lower < target : tails.upper > target;
    if (below) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Equal-tailed credible interval [Q((1 - mass) / 2), Q((1 + mass) / 2)] of Beta(a, b). */
export function referenceCredibleInterval(p: BetaShape, mass = 0.95): [number, number] {
  const tail = (1 - mass) / 2;
  return [betaQuantile(tail, p.alpha, p.beta), betaQuantile(1 - tail, p.alpha, p.beta)];
}
