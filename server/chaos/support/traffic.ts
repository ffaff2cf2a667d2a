import { type Batch, TrafficModel } from '../../bench/traffic.js';

/** The experiments of the chaos traffic, created from code by their first exposures. */
export const CHAOS_EXPERIMENTS = [
  { key: 'hero', variants: ['control', 'bold'] },
  { key: 'pricing', variants: ['control', 'annual', 'monthly'] },
  { key: 'checkout', variants: ['control', 'one-page'] },
] as const;

/**
 * `count` batches of 50 SDK events (the benchmark's traffic model: exposures of new and
 * returning visitors over three experiments, conversions, goal candidates, engagement, page
 * views), every event with its own ID; `seed` fixes the choices.
 */
export function chaosBatches(count: number, seed: number): Batch[] {
  return chaosTraffic(seed).take(count);
}

/** Every event ID of `batches`. */
export const eventIds = (batches: readonly Batch[]): Set<string> =>
  new Set(batches.flatMap((batch) => batch.events.map((event) => event.id)));

/** The chaos traffic as a model, for batches made as they are sent (`next()`). */
export const chaosTraffic = (seed: number): TrafficModel =>
  new TrafficModel({ experiments: CHAOS_EXPERIMENTS, seed });
