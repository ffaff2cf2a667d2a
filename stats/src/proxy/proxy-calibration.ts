/**
 * The stored calibration of the proxy metric (STATS.md section 7): winsorization caps, z-score
 * parameters and weights, refreshed together and kept fixed between refreshes so that scoring
 * stays incremental. A plain JSON-serialisable object; the caller stores when it was made.
 */
import { assertCount, assertFinite, StatsInputError } from '../errors.js';
import { winsorize } from './percentile-linear.js';
import {
  PROXY_FEATURE_NAMES,
  type ProxyFeatureName,
  type ProxyFeatures,
} from './proxy-features.js';

/** Calibration of one feature. */
export interface ProxyFeatureCalibration {
  readonly name: ProxyFeatureName;
  /** Winsorization floor: the feature's 1st percentile over the calibration visitors. */
  readonly lowerCap: number;
  /** Winsorization ceiling: the feature's 99th percentile over the calibration visitors. */
  readonly upperCap: number;
  /** Mean of the winsorized feature. */
  readonly mean: number;
  /** Sample standard deviation (ddof = 1) of the winsorized feature; 0 means z = 0 always. */
  readonly sd: number;
  /** Weight w_k of the feature's z-score in the composite score. */
  readonly weight: number;
}

/** Everything `proxyScore` needs, plus what the weights were fitted on. */
export interface ProxyCalibration {
  readonly version: 1;
  /** Percentile levels of the caps and their definition (Hyndman and Fan type 7, numpy's default). */
  readonly percentiles: {
    readonly lower: number;
    readonly upper: number;
    readonly method: 'linear';
  };
  /** The features in the model, in `PROXY_FEATURE_NAMES` order. */
  readonly features: readonly ProxyFeatureCalibration[];
  /** OLS intercept (the fitted conversion rate at average engagement); null for equal weights. */
  readonly intercept: number | null;
  /** `ols` when the weights come from the regression on conversion, else `equal`. */
  readonly weightsSource: 'equal' | 'ols';
  /** Number of visitors the calibration was fitted on. */
  readonly visitors: number;
  /** Number of those visitors who converted. */
  readonly conversions: number;
}

/**
 * Checks a calibration (typically read back from storage) and throws `StatsInputError` naming
 * the first invalid field, as `${path}.features[2].sd`. The shape is the one `calibrateProxy`
 * returns (STATS.md section 7). O(number of features).
 *
 * Example: a calibration whose second feature has sd = -1 throws with field
 * `calibration.features[1].sd`.
 *
 * @throws StatsInputError when the object is malformed: unknown version, no features, unknown
 *   or repeated feature names, a non-finite number, lowerCap > upperCap, a negative sd, an
 *   unknown weightsSource, or conversions > visitors.
 */
export function assertProxyCalibration(
  calibration: unknown,
  path = 'calibration',
): asserts calibration is ProxyCalibration {
  if (typeof calibration !== 'object' || calibration === null) {
    throw new StatsInputError(path, 'must be a proxy calibration object');
  }
  const c = calibration as Record<string, unknown>;
  if (c.version !== 1) {
    throw new StatsInputError(`${path}.version`, `must be 1, got ${String(c.version)}`);
  }
  if (!Array.isArray(c.features) || c.features.length === 0) {
    throw new StatsInputError(`${path}.features`, 'must be a non-empty array');
  }
  const seen = new Set<string>();
  // Array.from turns holes into undefined, so a sparse array is reported, not skipped.
  Array.from(c.features as unknown[]).forEach((entry: unknown, k: number) => {
    const at = `${path}.features[${k}]`;
    if (typeof entry !== 'object' || entry === null) {
      throw new StatsInputError(at, 'must be an object');
    }
    const f = entry as Record<string, unknown>;
    if (!PROXY_FEATURE_NAMES.includes(f.name as ProxyFeatureName) || seen.has(String(f.name))) {
      throw new StatsInputError(
        `${at}.name`,
        `must be a distinct feature name among ${PROXY_FEATURE_NAMES.join(', ')}, got ${String(f.name)}`,
      );
    }
    seen.add(String(f.name));
    assertFinite(f.lowerCap, `${at}.lowerCap`);
    assertFinite(f.upperCap, `${at}.upperCap`);
    if (f.upperCap < f.lowerCap) {
      throw new StatsInputError(`${at}.upperCap`, `must be >= lowerCap (${f.lowerCap})`);
    }
    assertFinite(f.mean, `${at}.mean`);
    assertFinite(f.sd, `${at}.sd`);
    if (f.sd < 0) throw new StatsInputError(`${at}.sd`, `must be >= 0, got ${f.sd}`);
    assertFinite(f.weight, `${at}.weight`);
  });
  if (c.intercept !== null) assertFinite(c.intercept, `${path}.intercept`);
  if (c.weightsSource !== 'equal' && c.weightsSource !== 'ols') {
    throw new StatsInputError(
      `${path}.weightsSource`,
      `must be 'equal' or 'ols', got ${String(c.weightsSource)}`,
    );
  }
  assertCount(c.visitors, `${path}.visitors`);
  assertCount(c.conversions, `${path}.conversions`);
  if (c.conversions > c.visitors) {
    throw new StatsInputError(`${path}.conversions`, `must be <= visitors (${c.visitors})`);
  }
}

/**
 * z-scores of one visitor's (already validated) features under a calibration, in the
 * calibration's feature order: z_k = (winsorize(x_k, lowerCap_k, upperCap_k) - mean_k) / sd_k,
 * and z_k = 0 when sd_k = 0 (STATS.md section 7: winsorize, then z-score). Dimensionless.
 * O(number of features).
 *
 * Example: caps [1.04, 96.16], mean 21.24, sd 40 and x = 500 -> z = (96.16 - 21.24) / 40.
 *
 * @throws StatsInputError (`${path}.fieldsTouched`) when the calibration uses `fieldsTouched`
 *   and the visitor does not report it.
 */
export function standardizeProxyFeatures(
  features: ProxyFeatures,
  calibration: ProxyCalibration,
  path: string,
): number[] {
  return calibration.features.map((f) => {
    const raw = features[f.name];
    if (raw === undefined) {
      throw new StatsInputError(`${path}.${f.name}`, 'is required by the calibration');
    }
    return f.sd > 0 ? (winsorize(raw, f.lowerCap, f.upperCap) - f.mean) / f.sd : 0;
  });
}
