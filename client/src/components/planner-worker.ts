/**
 * The planner's simulations, off the page's thread: receives `{ id, input }` (a `PlanInput`),
 * answers `{ id, plan }` or `{ id, error }`.
 */
import { type PlanInput, plan } from '@vibariant/stats';

self.onmessage = (event: MessageEvent<{ id: number; input: PlanInput }>) => {
  const { id, input } = event.data;
  try {
    self.postMessage({ id, plan: plan(input) });
  } catch (error) {
    self.postMessage({ id, error: (error as Error).message });
  }
};
