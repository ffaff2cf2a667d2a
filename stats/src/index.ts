/**
 * @vibariant/stats: the Bayesian decision engine. Pure functions of sufficient statistics; no
 * I/O, no clock, no global randomness. Rates are absolute conversion-rate units (0.03 is 3%).
 */
export { allocateTraffic, topTwoThompsonWeights } from './allocation.js';
export { type BestArmAnalysis, bestArm } from './best-arm.js';
export {
  DECISION_VERSION,
  type DecideInput,
  type Decision,
  type DifferenceDecision,
  decide,
  type VariantDecision,
} from './decide.js';
export { DEFAULT_THRESHOLDS, resolveThresholds } from './decision.js';
export { differenceHdi } from './difference.js';
export { StatsInputError } from './errors.js';
export { type Plan, type PlanInput, type PlanQuantiles, type Projection, plan } from './planner.js';
export { betaPosterior, credibleInterval, type DensityCurve, posteriorMean } from './posterior.js';
export { DEFAULT_PRIOR, type PriorInput, resolvePrior } from './prior.js';
export * from './proxy/index.js';
export { formatPoints, formatProbability } from './recommendation.js';
export { ropeHalfWidth } from './rope.js';
export { type EffectEstimate, jamesSteinShrinkage, type ShrinkageResult } from './shrinkage.js';
export {
  type AllocationEpoch,
  DEFAULT_SRM_ALPHA,
  type SrmOptions,
  type SrmResult,
  sampleRatioMismatch,
} from './srm.js';
export type * from './types.js';
