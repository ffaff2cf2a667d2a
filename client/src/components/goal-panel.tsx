import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { projectApi } from '../api/http.js';
import type { Goal } from '../api/types.js';
import { count } from '../format.js';
import { onLive } from '../realtime/hooks.js';
import { ErrorLine } from './error-line.js';

/** Longest wait before new goals and counts show. */
const REFRESH_MS = 2_000;

/**
 * The project's goals: those the SDK detected (with the element's text and how often they were
 * used), to confirm or reject, and the confirmed ones. A change made anywhere shows here live.
 */
export function GoalPanel(props: {
  readonly projectId: string;
  readonly decisionGoal: string | null;
}) {
  const [goals, { refetch }] = createResource(
    () => props.projectId,
    (id) => projectApi<{ goals: Goal[] }>(id, 'GET', '/goals').then((r) => r.goals),
  );
  const [error, setError] = createSignal<string>();
  onLive('goal:updated', () => void refetch());
  // New candidates and counts come with new events: read again at most every 2 s while the
  // project's decisions move.
  let due: ReturnType<typeof setTimeout> | undefined;
  onLive('experiment:summarized', () => {
    due ??= setTimeout(() => {
      due = undefined;
      void refetch();
    }, REFRESH_MS);
  });
  onCleanup(() => clearTimeout(due));

  const verdict = async (goal: Goal, action: 'confirm' | 'reject') => {
    setError(undefined);
    try {
      await projectApi(
        props.projectId,
        'POST',
        `/goals/${encodeURIComponent(goal.key)}/${action}`,
        {},
      );
      await refetch();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const visible = () => (goals() ?? []).filter((g) => g.status !== 'rejected');

  return (
    <section class="card" aria-labelledby="goals-title">
      <h2 id="goals-title">Goals</h2>
      <p class="muted small">
        Decisions use{' '}
        {props.decisionGoal ? (
          <code>{props.decisionGoal}</code>
        ) : (
          'the confirmed goal with the most conversions'
        )}
        .
      </p>
      <Show when={visible().length > 0} fallback={<p class="muted">No goal seen yet.</p>}>
        <ul class="goal-list">
          <For each={visible()}>
            {(goal) => (
              <li data-goal={goal.key} data-status={goal.status}>
                <div>
                  <strong>{goal.label || goal.key}</strong>{' '}
                  <span class={`badge ${goal.status === 'confirmed' ? 'good' : 'neutral'}`}>
                    {goal.status === 'candidate' ? 'Detected' : 'Confirmed'}
                  </span>
                  <div class="muted small">
                    <code>{goal.key}</code> · {count(goal.convertedVisitors ?? 0)} conversions in
                    experiments · {count(goal.events)} events
                  </div>
                </div>
                <Show when={goal.status === 'candidate'}>
                  <div class="actions">
                    <button
                      type="button"
                      onClick={() => verdict(goal, 'confirm')}
                      aria-label={`Confirm goal ${goal.label || goal.key}`}
                    >
                      Confirm
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => verdict(goal, 'reject')}
                      aria-label={`Reject goal ${goal.label || goal.key}`}
                    >
                      Reject
                    </button>
                  </div>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <ErrorLine message={error()} />
    </section>
  );
}
