/**
 * Per-variant sufficient statistics of the proxy score, updatable in O(1) per visitor.
 */
import { assertCount, assertFinite, assertInRange, StatsInputError } from '../errors.js';

/** Largest proxy score accepted, in absolute value. */
const MAX_SCORE = 1e6;

/**
 * Running sums over the visitors of one variant. Y is a visitor's post-exposure proxy score, X
 * their pre-exposure score (the CUPED covariate) under the same calibration. The covariate sums
 * are either all present (every visitor of the variant contributed an x) or all absent.
 */
export interface ProxyAccumulator {
  readonly key: string;
  /** Visitors counted. */
  readonly n: number;
  /** sum of y. */
  readonly sumY: number;
  /** sum of y^2. */
  readonly sumY2: number;
  /** sum of x. */
  readonly sumX?: number;
  /** sum of x^2. */
  readonly sumX2?: number;
  /** sum of x * y. */
  readonly sumXY?: number;
}

/**
 * An accumulator with no visitors for variant `key`: the starting point of the running sums
 * (sufficient statistics of the normal model, STATS.md section 7). O(1).
 *
 * Example: emptyProxyAccumulator('b') = { key: 'b', n: 0, sumY: 0, sumY2: 0 }.
 *
 * @throws StatsInputError (`key`) when key is not a string.
 */
export function emptyProxyAccumulator(key: string): ProxyAccumulator {
  if (typeof key !== 'string') throw new StatsInputError('key', 'must be a string');
  return { key, n: 0, sumY: 0, sumY2: 0 };
}

/**
 * Adds one visitor's score y (and pre-exposure covariate score x, when CUPED is used) to an
 * accumulator, returning a new accumulator (the input is not modified). The first visitor
 * decides whether the accumulator tracks the covariate; afterwards every visitor must supply x
 * if and only if the accumulator has covariate sums. Plain running sums (the sufficient
 * statistics of the normal model); see `proxyPosterior` for how they are used. O(1).
 *
 * Example: addProxyObservation(emptyProxyAccumulator('b'), 0.5, 0.2)
 *   = { key: 'b', n: 1, sumY: 0.5, sumY2: 0.25, sumX: 0.2, sumX2: 0.04, sumXY: 0.1 }.
 *
 * @throws StatsInputError when y is not a number in [-1e6, 1e6] (`y`); x is given and is not
 *   one, is missing for an accumulator that tracks it, or is given for one that does not (`x`);
 *   or the accumulator's count is invalid (`accumulator.n`).
 */
export function addProxyObservation(
  accumulator: ProxyAccumulator,
  y: number,
  x?: number,
): ProxyAccumulator {
  assertProxyAccumulator(accumulator, 'accumulator');
  // Scores are sums of winsorized z-scores, a few units in size; the bound keeps the running
  // sums of squares finite for any number of visitors.
  assertInRange(y, 'y', -MAX_SCORE, MAX_SCORE);
  const tracksX = accumulator.sumX !== undefined;
  const base = {
    key: accumulator.key,
    n: accumulator.n + 1,
    sumY: accumulator.sumY + y,
    sumY2: accumulator.sumY2 + y * y,
  };
  if (x === undefined) {
    if (tracksX) {
      throw new StatsInputError('x', 'is required: this accumulator tracks the CUPED covariate');
    }
    return base;
  }
  assertInRange(x, 'x', -MAX_SCORE, MAX_SCORE);
  if (!tracksX && accumulator.n > 0) {
    throw new StatsInputError(
      'x',
      'must be omitted: this accumulator already counts visitors without a covariate',
    );
  }
  return {
    ...base,
    sumX: (accumulator.sumX ?? 0) + x,
    sumX2: (accumulator.sumX2 ?? 0) + x * x,
    sumXY: (accumulator.sumXY ?? 0) + x * y,
  };
}

/**
 * Sums two accumulators of the same variant (for example partial sums from two batches): running
 * sums are additive, so the result equals accumulating both batches one visitor at a time. Both
 * must track the covariate or neither, unless one of them is empty. Returns a new object. O(1).
 *
 * Example: merging { n: 2, sumY: 1, sumY2: 0.5 } and { n: 1, sumY: 2, sumY2: 4 } (same key)
 * gives { n: 3, sumY: 3, sumY2: 4.5 }.
 *
 * @throws StatsInputError (`b.key`) when the keys differ, or (`b.sumX`) when exactly one of two
 *   non-empty accumulators tracks the covariate.
 */
export function mergeProxyAccumulators(a: ProxyAccumulator, b: ProxyAccumulator): ProxyAccumulator {
  if (a.key !== b.key)
    throw new StatsInputError('b.key', `must equal a.key (${a.key}), got ${b.key}`);
  if (b.n === 0) return a;
  if (a.n === 0) return b;
  const aX = a.sumX !== undefined;
  const bX = b.sumX !== undefined;
  if (aX !== bX) {
    throw new StatsInputError('b.sumX', 'both accumulators must track the covariate, or neither');
  }
  const base = { key: a.key, n: a.n + b.n, sumY: a.sumY + b.sumY, sumY2: a.sumY2 + b.sumY2 };
  if (!aX) return base;
  return {
    ...base,
    sumX: (a.sumX ?? 0) + (b.sumX ?? 0),
    sumX2: (a.sumX2 ?? 0) + (b.sumX2 ?? 0),
    sumXY: (a.sumXY ?? 0) + (b.sumXY ?? 0),
  };
}

/** Relative slack for sum-of-squares consistency checks (rounding in long running sums). */
const CONSISTENCY_SLACK = 1e-6;
/** Absolute slack for the same checks: squares of values below about 1e-154 underflow. */
const UNDERFLOW_SLACK = 1e-150;

/**
 * Checks an accumulator (typically read back from storage) and throws `StatsInputError` naming
 * the first invalid field as `${path}.sumY2`. The sum-of-squares checks are the Cauchy-Schwarz
 * inequality (sum y)^2 <= n sum y^2, with a relative slack of 1e-6 for rounding. O(1).
 *
 * Example: { key: 'b', n: 10, sumY: 2, sumY2: 0.1 } at path `variants[1]` throws with field
 * `variants[1].sumY2` (0.1 < 2^2 / 10).
 *
 * @throws StatsInputError when key is not a string, n is not a non-negative integer, a sum is
 *   not finite, a sum of squares is negative or smaller than (sum)^2 / n beyond rounding
 *   (impossible for real data), sums are non-zero while n = 0, or only some of sumX, sumX2,
 *   sumXY are present.
 */
export function assertProxyAccumulator(
  accumulator: unknown,
  path: string,
): asserts accumulator is ProxyAccumulator {
  if (typeof accumulator !== 'object' || accumulator === null) {
    throw new StatsInputError(path, 'must be an accumulator { key, n, sumY, sumY2, ... }');
  }
  const a = accumulator as Record<string, unknown>;
  if (typeof a.key !== 'string') throw new StatsInputError(`${path}.key`, 'must be a string');
  assertCount(a.n, `${path}.n`);
  const n = a.n;
  const checkPair = (sumName: string, squaresName: string) => {
    const sum = a[sumName];
    const squares = a[squaresName];
    assertFinite(sum, `${path}.${sumName}`);
    assertFinite(squares, `${path}.${squaresName}`);
    if (n === 0 && (sum !== 0 || squares !== 0)) {
      throw new StatsInputError(`${path}.${sumName}`, 'must be 0 when n is 0');
    }
    // Cauchy-Schwarz, |sum| <= sqrt(n * squares), in a form that neither overflows nor trips
    // on squares that underflowed (|values| below 1e-154).
    if (
      squares < 0 ||
      Math.abs(sum) > Math.sqrt(n * squares) * (1 + CONSISTENCY_SLACK) + UNDERFLOW_SLACK
    ) {
      throw new StatsInputError(
        `${path}.${squaresName}`,
        `must be >= ${sumName}^2 / n (a sum of squares), got ${squares}`,
      );
    }
  };
  checkPair('sumY', 'sumY2');
  const present = (['sumX', 'sumX2', 'sumXY'] as const).filter((name) => a[name] !== undefined);
  if (present.length === 0) return;
  for (const name of ['sumX', 'sumX2', 'sumXY'] as const) {
    if (a[name] === undefined) {
      throw new StatsInputError(
        `${path}.${name}`,
        `is required when ${present.join(' and ')} ${present.length > 1 ? 'are' : 'is'} present`,
      );
    }
  }
  checkPair('sumX', 'sumX2');
  assertFinite(a.sumXY, `${path}.sumXY`);
  if (n === 0 && a.sumXY !== 0) throw new StatsInputError(`${path}.sumXY`, 'must be 0 when n is 0');
}
