/**
 * Calibration of the proxy metric from a project's historical visitors (STATS.md section 7).
 */
import { assertCount, StatsInputError } from '../errors.js';
import { minimumNormLeastSquares } from './minimum-norm-least-squares.js';
import { percentileLinear, winsorize } from './percentile-linear.js';
import type { ProxyCalibration, ProxyFeatureCalibration } from './proxy-calibration.js';
import { standardizeProxyFeatures } from './proxy-calibration.js';
import {
  assertProxyFeatures,
  type ProxyFeatureName,
  type ProxyFeatures,
  REQUIRED_PROXY_FEATURES,
} from './proxy-features.js';

/** One historical visitor: engagement features and whether they converted. */
export interface CalibrationVisitor {
  readonly features: ProxyFeatures;
  readonly converted: boolean;
}

/** Options of `calibrateProxy`; every field is optional. */
export interface CalibrateProxyOptions {
  /** `auto` (default): OLS weights once the thresholds below are met, else equal weights. */
  readonly weights?: 'auto' | 'equal';
  /** Visitors needed before OLS weights are used; default 200. */
  readonly minVisitorsForOls?: number;
  /** Conversions needed before OLS weights are used; default 10. */
  readonly minConversionsForOls?: number;
}

/** Percentile levels of the winsorization caps (STATS.md section 7). */
const LOWER_PERCENTILE = 0.01;
const UPPER_PERCENTILE = 0.99;

/**
 * Fits the proxy metric's calibration on historical visitors of a project.
 *
 * For each feature k (scrollDepth, activeSeconds, clicks, formStarted, and fieldsTouched when
 * every visitor reports it):
 * 1. caps: lowerCap_k and upperCap_k are the 1st and 99th percentiles of the feature over the
 *    visitors, by linear interpolation between order statistics (Hyndman and Fan 1996,
 *    definition 7; numpy.percentile's default), see `percentileLinear`;
 * 2. mean_k and sd_k (ddof = 1) of the winsorized values, for z-scoring; sd_k = 0 (all
 *    winsorized values equal, or a single visitor) makes the feature contribute 0;
 * 3. weights: equal, w_k = 1/p over the p features in the model (the score is then the average
 *    z-score), unless `weights` is `auto` (the default) and there are at least
 *    `minVisitorsForOls` (200) visitors and `minConversionsForOls` (10) conversions, with at
 *    least one visitor who did not convert: then the w_k are the ordinary-least-squares slopes of
 *    conversion (1 or 0) on the z-scores with an intercept, the minimum-norm solution when
 *    features are collinear, as numpy.linalg.lstsq (see `minimumNormLeastSquares`).
 *
 * The result records `weightsSource`, the intercept (OLS only) and the visitor and conversion
 * counts. There is no clock in the stats engine: the caller stores when it calibrated. Winsorizing
 * and z-scoring are standard robust-scoring practice; the composite-score-by-regression design
 * follows STATS.md section 7.
 *
 * Example: 300 visitors, 12 conversions -> weightsSource 'ols'; 150 visitors -> 'equal' with
 * every weight 1/4 (no fieldsTouched).
 *
 * Complexity: O(n log n) for the percentiles (one sort per feature) plus O(n p^2) for OLS, with
 * n visitors and p <= 5 features. O(n p) memory.
 *
 * @throws StatsInputError when `visitors` is not a non-empty array, a visitor's features are
 *   invalid (`visitors[3].features.scrollDepth`), `converted` is not a boolean
 *   (`visitors[3].converted`), `fieldsTouched` is reported by some visitors but not all
 *   (`visitors[i].features.fieldsTouched`), or an option is invalid (`options.weights`,
 *   `options.minVisitorsForOls`, `options.minConversionsForOls`).
 */
export function calibrateProxy(
  visitors: readonly CalibrationVisitor[],
  options: CalibrateProxyOptions | null = {},
): ProxyCalibration {
  const weightsMode = options?.weights ?? 'auto';
  if (weightsMode !== 'auto' && weightsMode !== 'equal') {
    throw new StatsInputError(
      'options.weights',
      `must be 'auto' or 'equal', got ${String(weightsMode)}`,
    );
  }
  const minVisitors = options?.minVisitorsForOls ?? 200;
  assertCount(minVisitors, 'options.minVisitorsForOls');
  const minConversions = options?.minConversionsForOls ?? 10;
  assertCount(minConversions, 'options.minConversionsForOls');

  if (!Array.isArray(visitors) || visitors.length === 0) {
    throw new StatsInputError('visitors', 'must be a non-empty array of visitors');
  }
  const n = visitors.length;
  let conversions = 0;
  let withFields = false;
  // Array.from turns holes into undefined, so a sparse array is reported, not skipped.
  Array.from(visitors).forEach((visitor: unknown, i: number) => {
    if (typeof visitor !== 'object' || visitor === null) {
      throw new StatsInputError(`visitors[${i}]`, 'must be an object { features, converted }');
    }
    const v = visitor as Record<string, unknown>;
    assertProxyFeatures(v.features, `visitors[${i}].features`);
    if (typeof v.converted !== 'boolean') {
      throw new StatsInputError(
        `visitors[${i}].converted`,
        `must be a boolean, got ${String(v.converted)}`,
      );
    }
    if (v.converted) conversions++;
    const hasFields = v.features.fieldsTouched !== undefined;
    if (i === 0) withFields = hasFields;
    else if (hasFields !== withFields) {
      throw new StatsInputError(
        `visitors[${i}].features.fieldsTouched`,
        `must be reported by every visitor or by none (visitors[0] ${withFields ? 'reports' : 'does not report'} it)`,
      );
    }
  });

  const names: ProxyFeatureName[] = [...REQUIRED_PROXY_FEATURES];
  if (withFields) names.push('fieldsTouched');
  const p = names.length;

  const scales = names.map((name) => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = visitors[i]!.features[name] ?? 0;
    values.sort();
    const lowerCap = percentileLinear(values, LOWER_PERCENTILE);
    const upperCap = percentileLinear(values, UPPER_PERCENTILE);
    if (lowerCap === upperCap || n < 2) return { name, lowerCap, upperCap, mean: lowerCap, sd: 0 };
    // Two passes for the moments; lowerCap < upperCap guarantees two distinct winsorized values.
    let sum = 0;
    for (let i = 0; i < n; i++) sum += winsorize(values[i]!, lowerCap, upperCap);
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (winsorize(values[i]!, lowerCap, upperCap) - mean) ** 2;
    return { name, lowerCap, upperCap, mean, sd: Math.sqrt(squares / (n - 1)) };
  });

  const useOls =
    weightsMode === 'auto' && n >= minVisitors && conversions >= minConversions && conversions < n;
  const equal: ProxyFeatureCalibration[] = scales.map((s) => ({ ...s, weight: 1 / p }));
  const base: ProxyCalibration = {
    version: 1,
    percentiles: { lower: LOWER_PERCENTILE, upper: UPPER_PERCENTILE, method: 'linear' },
    features: equal,
    intercept: null,
    weightsSource: 'equal',
    visitors: n,
    conversions,
  };
  if (!useOls) return base;

  const rows = visitors.map((visitor, i) => [
    1,
    ...standardizeProxyFeatures(visitor.features, base, `visitors[${i}].features`),
  ]);
  const response = visitors.map((visitor) => (visitor.converted ? 1 : 0));
  const { coefficients } = minimumNormLeastSquares(rows, response);
  return {
    ...base,
    features: scales.map((s, k) => ({ ...s, weight: coefficients[k + 1]! })),
    intercept: coefficients[0]!,
    weightsSource: 'ols',
  };
}
