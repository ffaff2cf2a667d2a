/**
 * Chi-square tail probabilities for the assignment tests, written out here so the tests depend on
 * nothing but the code under test. Checked against mpmath and scipy in chi-square.test.ts.
 */

/**
 * Complementary error function erfc(z) = 1 - erf(z) for z >= 0, to about 1e-13 relative error.
 * - z < 1.5: 1 - erf(z) with erf(z) = 2/sqrt(pi) exp(-z^2) sum_{n>=0} (2z^2)^n z / (1*3*...*(2n+1))
 *   (Abramowitz and Stegun 7.1.6; all terms positive). erfc(1.5) = 0.034, so the subtraction
 *   loses under 2 of 16 digits.
 * - z >= 1.5: the continued fraction erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/
 *   (z + 2/(z + ...))))) (A&S 7.1.14), evaluated from the bottom up with 200 terms (converged to
 *   rounding for z >= 1.5). Underflows to 0 beyond z = 26.5, as erfc itself does.
 */
export function erfc(z: number): number {
  if (!(z >= 0)) throw new RangeError(`erfc helper needs z >= 0, got ${z}`);
  if (z < 1.5) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 1000 && term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  let fraction = z;
  for (let n = 200; n >= 1; n--) fraction = z + n / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

/**
 * P(X >= x) for X ~ chi-square(df), df a positive integer, in closed form with y = x / 2:
 * - even df = 2m: exp(-y) sum_{j=0}^{m-1} y^j / j!,
 * - odd df = 2m + 1: erfc(sqrt(y)) + exp(-y) sum_{j=1}^{m} y^(j - 1/2) / Gamma(j + 1/2).
 * (A&S 26.4.4 and 26.4.5.) df = 1: erfc(sqrt(x/2)); df = 2: exp(-x/2); df = 4: exp(-x/2)(1 + x/2).
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`df must be >= 1, got ${df}`);
  if (!(x >= 0)) throw new RangeError(`x must be >= 0, got ${x}`);
  const y = x / 2;
  const m = Math.floor(df / 2);
  if (df % 2 === 0) {
    let term = 1;
    let sum = 1;
    for (let j = 1; j < m; j++) {
      term *= y / j;
      sum += term;
    }
    return Math.exp(-y) * sum;
  }
  let term = Math.sqrt(y) / (Math.sqrt(Math.PI) / 2); // y^(1/2) / Gamma(3/2)
  let sum = 0;
  for (let j = 1; j <= m; j++) {
    sum += term;
    term *= y / (j + 0.5);
  }
  return erfc(Math.sqrt(y)) + Math.exp(-y) * sum;
}

/** Pearson's statistic sum (observed - expected)^2 / expected of counts against equal shares. */
export function uniformityChiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((acc, observed) => acc + (observed - expected) ** 2 / expected, 0);
}

/**
 * Pearson's chi-square statistic of independence for an r x c table of counts,
 * sum_ij (n_ij - r_i c_j / n)^2 / (r_i c_j / n), with (r - 1)(c - 1) degrees of freedom
 * (no continuity correction).
 */
export function independenceChiSquare(table: readonly (readonly number[])[]): number {
  const rows = table.map((row) => row.reduce((a, b) => a + b, 0));
  const columns = table[0]!.map((_, j) => table.reduce((acc, row) => acc + row[j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  let statistic = 0;
  table.forEach((row, i) => {
    row.forEach((observed, j) => {
      const expected = (rows[i]! * columns[j]!) / n;
      statistic += (observed - expected) ** 2 / expected;
    });
  });
  return statistic;
}
