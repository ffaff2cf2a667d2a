import { randomUUID } from 'node:crypto';

/** Visitors and conversions of one variant. */
export type Arm = readonly [variant: string, visitors: number, conversions: number];

/**
 * Events for fresh visitors of a two-variant experiment (`control`, `b`, declared so the
 * experiment is created from code): an exposure each, and a conversion of `signup` for the
 * first `conversions` of each arm. IDs are unique across calls.
 */
export function armEvents(experiment: string, arms: readonly Arm[]): unknown[] {
  const events: unknown[] = [];
  for (const [variant, visitors, conversions] of arms) {
    for (let i = 0; i < visitors; i++) {
      const visitorId = `${experiment}-${variant}-${randomUUID()}`;
      events.push({
        type: 'exposure',
        id: `x-${visitorId}`,
        visitorId,
        experiment,
        variant,
        variants: ['control', 'b'],
      });
      if (i < conversions) {
        events.push({ type: 'conversion', id: `c-${visitorId}`, visitorId, goal: 'signup' });
      }
    }
  }
  return events;
}

/** One batch in which b clearly beats control: the decision becomes ready_to_ship. */
export const decisiveEvents = (experiment: string): unknown[] =>
  armEvents(experiment, [
    ['control', 150, 4],
    ['b', 150, 40],
  ]);
