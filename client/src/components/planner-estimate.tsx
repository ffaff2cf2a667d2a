import type { BanditMode, Plan, PlanInput } from '@vibariant/stats';
import { createEffect, createResource, createSignal, onCleanup, Show } from 'solid-js';
import { percent } from '../format.js';

/** How long the inputs stay unchanged before a simulation starts, in milliseconds. */
const SETTLE_MS = 400;

/** The planner's Web Worker: one run at a time, a newer one ending the older. */
class Simulator {
  private worker: Worker | undefined;
  private runs = 0;

  run(input: PlanInput): Promise<{ plan?: Plan; problem?: string }> {
    this.stop();
    const worker = new Worker(new URL('./planner-worker.ts', import.meta.url), { type: 'module' });
    this.worker = worker;
    const id = ++this.runs;
    return new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<{ id: number; plan?: Plan; error?: string }>) => {
        if (event.data.id !== id) return;
        resolve(
          event.data.plan
            ? { plan: event.data.plan }
            : { problem: event.data.error ?? 'The planner could not run' },
        );
        this.stop();
      };
      worker.onerror = (event) => {
        resolve({ problem: event.message || 'The planner could not run' });
        this.stop();
      };
      worker.postMessage({ id, input });
    });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}

/** Most variants the planner simulates. */
const MAX_PLANNED_VARIANTS = 20;

/** Why no estimate can be made for these inputs, or undefined. */
function problemWith(input: PlanRequest & { baseRate: number; lift: number }): string | undefined {
  if (!(input.visitorsPerDay > 0)) return 'Enter your traffic to see an estimate.';
  if (input.variants > MAX_PLANNED_VARIANTS) {
    return `The planner simulates at most ${MAX_PLANNED_VARIANTS} variants.`;
  }
  if (!(input.baseRate > 0 && input.baseRate < 1)) {
    return 'The conversion rate must be between 0 and 1, such as 0.05.';
  }
  if (!(input.lift >= 0.05 && input.baseRate * (1 + input.lift) < 1)) {
    return 'The improvement must be at least 0.05 (5%), and keep the rate under 1.';
  }
  return undefined;
}

/** What the planner needs from the form. */
export interface PlanRequest {
  readonly variants: number;
  readonly bandit: BanditMode;
  readonly visitorsPerDay: number;
}

/**
 * The planner's estimate at a traffic: days to a decision (median and 90th percentile) and the
 * chance of shipping a worse variant, by simulating the decision rule (the engine's `plan`,
 * loaded only on this screen). The base rate and lift are assumptions the person can change.
 */
export function PlannerEstimate(props: { readonly request: PlanRequest }) {
  const [baseRate, setBaseRate] = createSignal(0.05);
  const [lift, setLift] = createSignal(0.3);
  // The inputs settle for a moment before a simulation starts (typing does not start one per
  // keystroke); a newer simulation replaces one still running.
  const [settled, setSettled] = createSignal<PlanRequest & { baseRate: number; lift: number }>();
  createEffect(() => {
    const input = { ...props.request, baseRate: baseRate(), lift: lift() };
    const timer = setTimeout(() => setSettled(input), SETTLE_MS);
    onCleanup(() => clearTimeout(timer));
  });
  const simulator = new Simulator();
  onCleanup(() => simulator.stop());
  const [estimate] = createResource(settled, async (input) => {
    const problem = problemWith(input);
    if (problem) return { problem };
    return simulator.run({
      baseRate: input.baseRate,
      lift: input.lift,
      variants: input.variants,
      visitorsPerDay: input.visitorsPerDay,
      bandit: input.bandit,
      simulations: 200,
    });
  });
  const days = (d: number | null | undefined) =>
    d == null ? 'more than the simulation allows' : d < 1 ? 'under a day' : `${Math.ceil(d)} days`;
  return (
    <section class="card" aria-labelledby="planner-title" aria-live="polite">
      <h2 id="planner-title">How long will it take?</h2>
      <div class="grid-form">
        <label>
          Current conversion rate
          <input
            type="number"
            min="0.001"
            max="0.99"
            step="0.001"
            value={baseRate()}
            onChange={(e) => setBaseRate(Number(e.currentTarget.value))}
          />
        </label>
        <label>
          Improvement to detect (relative)
          <input
            type="number"
            min="0.05"
            max="10"
            step="0.05"
            value={lift()}
            onChange={(e) => setLift(Number(e.currentTarget.value))}
          />
        </label>
      </div>
      <Show when={!estimate.loading} fallback={<p class="loading">Simulating…</p>}>
        <Show when={estimate()?.problem}>
          <p class="muted">{estimate()?.problem}</p>
        </Show>
        <Show when={estimate()?.plan}>
          {(p) => (
            <p data-testid="plan">
              At {Math.round(props.request.visitorsPerDay)} visitors a day, a decision takes{' '}
              <strong>{days(p().days.median)}</strong> typically ({days(p().days.p90)} for 9 in 10
              experiments). The chance of shipping the worse variant is{' '}
              <strong>{percent(p().wrongShipRate)}</strong>; {percent(p().shares.undecided, 0)} stay
              undecided.
            </p>
          )}
        </Show>
      </Show>
    </section>
  );
}
