/**
 * Shapes shared across the engine. Every rate is in absolute conversion-rate units (0.03 is 3%),
 * every count is in visitors.
 */

/** Parameters of a Beta(alpha, beta) distribution; both > 0. */
export interface BetaParams {
  readonly alpha: number;
  readonly beta: number;
}

/** Observed counts for one variant: exposed visitors and converted visitors (c <= n). */
export interface VariantCounts {
  readonly key: string;
  readonly visitors: number;
  readonly conversions: number;
}

/** Decision thresholds (STATS.md section 6); any omitted field takes its default. */
export interface Thresholds {
  readonly minVisitorsPerVariant?: number;
  readonly lossThreshold?: number;
  readonly minProbabilityToBeBest?: number;
  readonly ropeRelative?: number;
  readonly ropeHalfWidth?: number;
}

/** Thresholds with every default filled in; `ropeHalfWidth` is null when the ROPE is relative. */
export interface ResolvedThresholds {
  readonly minVisitorsPerVariant: number;
  readonly lossThreshold: number;
  readonly minProbabilityToBeBest: number;
  readonly ropeRelative: number;
  readonly ropeHalfWidth: number | null;
}

export type DecisionStatus =
  | 'collecting_data'
  | 'keep_testing'
  | 'ready_to_ship'
  | 'practically_equivalent';

export type Effect = 'clear' | 'likely' | 'none_detected';

export type BanditMode = 'top-two' | 'thompson' | 'off';

export type PriorTier = 'user' | 'historical' | 'default';

/** The prior actually used, and which tier of STATS.md section 2 supplied it. */
export interface PriorChoice {
  readonly tier: PriorTier;
  readonly alpha: number;
  readonly beta: number;
}
