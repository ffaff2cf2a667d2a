/**
 * Proxy metrics (STATS.md section 7): calibrate an engagement score, score visitors, keep
 * per-variant running sums, and compute the posterior of each variant's mean score with CUPED
 * and P(best).
 */
export {
  type CalibrateProxyOptions,
  type CalibrationVisitor,
  calibrateProxy,
} from './calibrate-proxy.js';
export {
  type CupedAdjustment,
  type CupedOptions,
  type CupedVariant,
  cupedAdjust,
} from './cuped-adjustment.js';
export {
  type LeastSquaresSolution,
  minimumNormLeastSquares,
} from './minimum-norm-least-squares.js';
export { normalProbabilityBest } from './normal-probability-best.js';
export { percentileLinear, winsorize } from './percentile-linear.js';
export {
  addProxyObservation,
  assertProxyAccumulator,
  emptyProxyAccumulator,
  mergeProxyAccumulators,
  type ProxyAccumulator,
} from './proxy-accumulator.js';
export {
  assertProxyCalibration,
  type ProxyCalibration,
  type ProxyFeatureCalibration,
} from './proxy-calibration.js';
export {
  assertProxyFeatures,
  PROXY_FEATURE_NAMES,
  type ProxyFeatureName,
  type ProxyFeatures,
  REQUIRED_PROXY_FEATURES,
} from './proxy-features.js';
export {
  type ProxyPosterior,
  type ProxyPosteriorVariant,
  proxyPosterior,
} from './proxy-posterior.js';
export { proxyScore } from './proxy-score.js';
