/**
 * Minimum-norm least squares, the solution numpy.linalg.lstsq returns, without holding the
 * design matrix in memory twice.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { StatsInputError } from '../errors.js';

/** Solution of a least-squares problem and the numerical rank of its design. */
export interface LeastSquaresSolution {
  /** beta minimising ||A beta - y||_2, and of smallest ||beta||_2 among the minimisers. */
  readonly coefficients: number[];
  /** Number of singular values of A above the cutoff eps * max(rows, columns) * s_max. */
  readonly rank: number;
}

/**
 * Minimum-norm least-squares solution of A beta ~ y, as numpy.linalg.lstsq(A, y, rcond=None):
 * singular values s_k <= eps * max(rows, columns) * s_max count as zero, so exactly collinear
 * columns share their coefficient (two identical columns get equal halves).
 *
 * Method: the rows are folded one at a time into an upper-triangular R and the vector Q^T y by
 * Givens rotations (Golub and Van Loan, "Matrix Computations", 4th ed., section 5.1.8 and the
 * row-updating scheme of section 6.5), so that A = Q R with Q orthogonal. Then
 * ||A beta - y||^2 = ||R beta - Q^T y||^2 + const and A and R have the same singular values, so
 * the pseudo-inverse solution beta = V S^+ U^T (Q^T y) of the small p x p system R = U S V^T
 * (ml-matrix's SVD) is the minimum-norm least-squares solution of the full problem (Golub and
 * Van Loan, section 5.5.1).
 *
 * `rows` is a list of n rows of p numbers; `response` has n numbers. O(n p^2) time, O(p^2)
 * memory beyond the input.
 *
 * Example: rows [1, x, x] for x = 0, 1, 2, 3 and y = [1, 0, 1, 1] -> [0.6, 0.05, 0.05] (the
 * slope 0.1 of the single-column fit, split between the two identical columns), rank 2.
 *
 * @throws StatsInputError (`rows`, `rows[i]`, `response`, `rows[i][k]`, `response[i]`) when the
 *   shapes disagree, there are no rows or columns, or a value is not finite.
 */
export function minimumNormLeastSquares(
  rows: readonly ArrayLike<number>[],
  response: ArrayLike<number>,
): LeastSquaresSolution {
  const n = rows.length;
  if (n === 0) throw new StatsInputError('rows', 'must hold at least one row');
  if (response.length !== n) {
    throw new StatsInputError(
      'response',
      `must have ${n} entries (one per row), got ${response.length}`,
    );
  }
  const p = rows[0]!.length;
  if (p === 0) throw new StatsInputError('rows[0]', 'must hold at least one column');

  const r = new Float64Array(p * p);
  const qty = new Float64Array(p);
  const work = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== p) {
      throw new StatsInputError(`rows[${i}]`, `must have ${p} columns, got ${row.length}`);
    }
    for (let k = 0; k < p; k++) {
      const value = row[k]!;
      if (!Number.isFinite(value)) {
        throw new StatsInputError(`rows[${i}][${k}]`, `must be a finite number, got ${value}`);
      }
      work[k] = value;
    }
    let b = response[i]!;
    if (!Number.isFinite(b)) {
      throw new StatsInputError(`response[${i}]`, `must be a finite number, got ${b}`);
    }
    for (let k = 0; k < p; k++) {
      const ak = work[k]!;
      if (ak === 0) continue;
      const rkk = r[k * p + k]!;
      const h = Math.hypot(rkk, ak);
      const c = rkk / h;
      const s = ak / h;
      r[k * p + k] = h;
      for (let j = k + 1; j < p; j++) {
        const t = r[k * p + j]!;
        const aj = work[j]!;
        r[k * p + j] = c * t + s * aj;
        work[j] = c * aj - s * t;
      }
      const t = qty[k]!;
      qty[k] = c * t + s * b;
      b = c * b - s * t;
    }
  }

  const rMatrix = new Matrix(p, p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) rMatrix.set(i, j, r[i * p + j]!);
  const svd = new SingularValueDecomposition(rMatrix);
  const singular = svd.diagonal;
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const sMax = Math.max(0, ...singular.map(Math.abs));
  const cutoff = Number.EPSILON * Math.max(n, p) * sMax;

  const coefficients = new Float64Array(p);
  let rank = 0;
  for (let k = 0; k < singular.length; k++) {
    const sk = singular[k]!;
    if (!(Math.abs(sk) > cutoff)) continue;
    rank++;
    let projection = 0;
    for (let i = 0; i < p; i++) projection += u.get(i, k) * qty[i]!;
    const scale = projection / sk;
    for (let j = 0; j < p; j++) coefficients[j] = coefficients[j]! + v.get(j, k) * scale;
  }
  return { coefficients: Array.from(coefficients), rank };
}
