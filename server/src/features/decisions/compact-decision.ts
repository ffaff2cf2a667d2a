import type { Decision, VariantDecision } from '@vibariant/stats';

/** A decision without the per-variant density curves (the bulk of a decision's size). */
export type CompactDecision = Omit<Decision, 'variants'> & {
  readonly variants: Omit<VariantDecision, 'density'>[];
};

/**
 * The decision without its density curves: what lists and histories send, where one decision
 * per row would otherwise carry a chart's worth of points per variant. Every other field,
 * including the posterior parameters from which a curve can be redrawn, is kept.
 */
export function compactDecision(decision: Decision): CompactDecision {
  return {
    ...decision,
    variants: decision.variants.map(({ density: _density, ...rest }) => rest),
  };
}
