/**
 * Brent's root finder (test code only): inverse quadratic interpolation with a bisection
 * safeguard, so it converges superlinearly on smooth functions and never slower than bisection.
 * R. P. Brent, "Algorithms for Minimization without Derivatives" (1973), chapter 4; the layout
 * follows Numerical Recipes, 3rd ed., section 9.3 (zbrent).
 */
export function brentRoot(
  f: (x: number) => number,
  lower: number,
  upper: number,
  tolerance: number,
): number {
  let a = lower;
  let b = upper;
  let c = upper;
  let fa = f(a);
  let fb = f(b);
  if ((fa > 0 && fb > 0) || (fa < 0 && fb < 0)) {
    throw new RangeError(`brentRoot: no sign change on [${lower}, ${upper}] (${fa}, ${fb})`);
  }
  let fc = fb;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < 500; iteration++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tolerance;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      const min1 = 3 * xm * q - Math.abs(tol1 * q);
      const min2 = Math.abs(e * q);
      if (2 * p < Math.min(min1, min2)) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : Math.sign(xm) * tol1;
    fb = f(b);
  }
  throw new Error('brentRoot: no convergence in 500 iterations');
}
