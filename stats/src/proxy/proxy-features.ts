/**
 * Engagement features of one visitor (STATS.md section 7) and their validation. The proxy
 * metric turns these into one composite score per visitor; see `calibrateProxy` and
 * `proxyScore`.
 */
import { assertCount, assertInRange, StatsInputError } from '../errors.js';

/**
 * Engagement of one visitor on the page.
 *
 * - `scrollDepth`: maximum scroll depth reached, a fraction in [0, 1].
 * - `activeSeconds`: active (visible and interacted-with) time on the page, seconds, >= 0.
 * - `clicks`: click count, a non-negative integer.
 * - `formStarted`: 1 if the visitor started filling in a form, else 0.
 * - `fieldsTouched`: optional, number of form fields touched, >= 0.
 */
export interface ProxyFeatures {
  readonly scrollDepth: number;
  readonly activeSeconds: number;
  readonly clicks: number;
  readonly formStarted: number;
  readonly fieldsTouched?: number;
}

/** Names of the features, in the order the calibration stores them. */
export type ProxyFeatureName =
  | 'scrollDepth'
  | 'activeSeconds'
  | 'clicks'
  | 'formStarted'
  | 'fieldsTouched';

/** The four features every visitor reports, in calibration order. */
export const REQUIRED_PROXY_FEATURES: readonly ProxyFeatureName[] = [
  'scrollDepth',
  'activeSeconds',
  'clicks',
  'formStarted',
];

/** Every feature name, in calibration order (`fieldsTouched` last, because it is optional). */
export const PROXY_FEATURE_NAMES: readonly ProxyFeatureName[] = [
  ...REQUIRED_PROXY_FEATURES,
  'fieldsTouched',
];

/**
 * Checks one visitor's features and throws `StatsInputError` naming the first invalid field as
 * `${path}.scrollDepth` and so on. Unknown extra properties are ignored. The ranges are those
 * of STATS.md section 7. O(1).
 *
 * Example: assertProxyFeatures({ scrollDepth: 1.2, ... }, 'visitors[3].features') throws with
 * field `visitors[3].features.scrollDepth`.
 *
 * @throws StatsInputError when `features` is not an object, `scrollDepth` is outside [0, 1],
 *   `activeSeconds` is negative or not finite, `clicks` is not a non-negative integer,
 *   `formStarted` is not 0 or 1, or `fieldsTouched` is present and negative or not finite.
 */
/** Longest active time accepted for one visitor: 30 days, in seconds. */
const MAX_ACTIVE_SECONDS = 30 * 24 * 3600;
/** Most clicks or fields touched accepted for one visitor. */
const MAX_COUNT = 1e6;

export function assertProxyFeatures(
  features: unknown,
  path: string,
): asserts features is ProxyFeatures {
  if (typeof features !== 'object' || features === null) {
    throw new StatsInputError(path, 'must be an object of engagement features');
  }
  const f = features as Record<string, unknown>;
  assertInRange(f.scrollDepth, `${path}.scrollDepth`, 0, 1);
  // Upper bounds far above any real page visit keep sums of squares finite.
  assertInRange(f.activeSeconds, `${path}.activeSeconds`, 0, MAX_ACTIVE_SECONDS);
  assertCount(f.clicks, `${path}.clicks`);
  if (f.clicks > MAX_COUNT) {
    throw new StatsInputError(`${path}.clicks`, `must be at most ${MAX_COUNT}, got ${f.clicks}`);
  }
  if (f.formStarted !== 0 && f.formStarted !== 1) {
    throw new StatsInputError(
      `${path}.formStarted`,
      `must be 0 or 1, got ${String(f.formStarted)}`,
    );
  }
  if (f.fieldsTouched !== undefined) {
    assertInRange(f.fieldsTouched, `${path}.fieldsTouched`, 0, MAX_COUNT);
  }
}
