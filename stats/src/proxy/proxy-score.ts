/**
 * The composite engagement score of one visitor (STATS.md section 7).
 */
import {
  assertProxyCalibration,
  type ProxyCalibration,
  standardizeProxyFeatures,
} from './proxy-calibration.js';
import { assertProxyFeatures, type ProxyFeatures } from './proxy-features.js';

/**
 * Composite proxy score s = sum_k w_k z_k of one visitor, where
 * z_k = (winsorize(x_k, lowerCap_k, upperCap_k) - mean_k) / sd_k (0 when sd_k = 0) with the
 * caps, means, standard deviations and weights of `calibration` (see `calibrateProxy`). The
 * score is dimensionless (a weighted sum of z-scores); with OLS weights it is the fitted change
 * in conversion probability relative to a visitor of average engagement. Features the
 * calibration does not use (`fieldsTouched` when it was not calibrated) are ignored.
 *
 * Use the same calibration for a visitor's post-exposure score Y and pre-exposure covariate X,
 * and feed both to `addProxyObservation`. Source: STATS.md section 7 (winsorize, z-score, then
 * weight).
 *
 * Example: with equal weights 1/4 and a visitor at every feature's mean, the score is 0.
 *
 * O(number of features), at most 5.
 *
 * @throws StatsInputError naming the field (`features.scrollDepth`, `features.fieldsTouched`,
 *   `calibration.features[1].sd`, ...) when the features or the calibration are invalid, or when
 *   the calibration uses fieldsTouched and the visitor does not report it.
 */
export function proxyScore(features: ProxyFeatures, calibration: ProxyCalibration): number {
  assertProxyFeatures(features, 'features');
  assertProxyCalibration(calibration, 'calibration');
  const z = standardizeProxyFeatures(features, calibration, 'features');
  let score = 0;
  for (let k = 0; k < z.length; k++) score += calibration.features[k]!.weight * z[k]!;
  return score;
}
