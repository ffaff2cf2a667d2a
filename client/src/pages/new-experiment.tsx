import { useNavigate } from '@solidjs/router';
import type { BanditMode } from '@vibariant/stats';
import { createResource, createSignal, For, Show } from 'solid-js';
import { ApiError, projectApi } from '../api/http.js';
import type { Experiment } from '../api/types.js';
import { PlannerEstimate } from '../components/planner-estimate.js';
import { useProject } from '../components/project-layout.js';

const MODES: { id: BanditMode; label: string; explanation: string }[] = [
  {
    id: 'top-two',
    label: 'Top-two bandit',
    explanation:
      'Sends more visitors to the two most promising variants, so the comparison that matters settles fastest.',
  },
  {
    id: 'thompson',
    label: 'Thompson bandit',
    explanation:
      'Sends more visitors to whichever variant is probably best, so fewer see a weaker one while you learn.',
  },
  {
    id: 'off',
    label: 'Fixed split',
    explanation: 'Keeps an even split the whole time, as a classic A/B test does.',
  },
];

/** Visitors per day over the project's running experiments (the busiest), from their counts. */
function recentTraffic(experiments: readonly Experiment[]): number {
  let best = 0;
  for (const e of experiments) {
    if (!e.startedAt || !e.decision) continue;
    const visitors = e.decision.variants.reduce((n, v) => n + v.visitors, 0);
    const days = Math.max(1, (Date.now() - Date.parse(e.startedAt)) / 86_400_000);
    best = Math.max(best, visitors / days);
  }
  return Math.round(best);
}

/** Creating an experiment: what it tests, its variants, its traffic mode, and the planner. */
export function NewExperimentPage() {
  const { projectId } = useProject();
  const navigate = useNavigate();
  const [experiments] = createResource(projectId, (id) =>
    projectApi<{ experiments: Experiment[] }>(id, 'GET', '/experiments').then((r) => r.experiments),
  );
  const [key, setKey] = createSignal('');
  const [name, setName] = createSignal('');
  const [hypothesis, setHypothesis] = createSignal('');
  const [variants, setVariants] = createSignal('control, treatment');
  const [goal, setGoal] = createSignal('');
  const [mode, setMode] = createSignal<BanditMode>('top-two');
  const [traffic, setTraffic] = createSignal<number>();
  const [start, setStart] = createSignal(true);
  const [error, setError] = createSignal<{ message: string; field: string | undefined }>();
  const variantKeys = () =>
    variants()
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  const visitorsPerDay = () => traffic() ?? recentTraffic(experiments() ?? []);

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const { experiment } = await projectApi<{ experiment: Experiment }>(
        projectId(),
        'POST',
        '/experiments',
        {
          key: key().trim(),
          name: name().trim() || key().trim(),
          ...(hypothesis().trim() ? { hypothesis: hypothesis().trim() } : {}),
          variants: variantKeys().map((k) => ({ key: k })),
          primaryGoal: goal().trim() || null,
          banditMode: mode(),
          start: start(),
        },
      );
      navigate(`/projects/${projectId()}/experiments/${encodeURIComponent(experiment.key)}`);
    } catch (e) {
      setError({
        message: (e as Error).message,
        field: e instanceof ApiError ? e.field : undefined,
      });
    }
  };

  return (
    <>
      <h1>New experiment</h1>
      <form class="card grid-form" onSubmit={create} aria-describedby="new-experiment-error">
        <label>
          Key (what your code calls it)
          <input
            required
            pattern="[A-Za-z0-9_.\-]{1,64}"
            value={key()}
            onInput={(e) => setKey(e.currentTarget.value)}
            placeholder="checkout-button"
          />
        </label>
        <label>
          Name
          <input
            maxLength={200}
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="Green checkout button"
          />
        </label>
        <label class="wide">
          Hypothesis
          <textarea
            rows={2}
            maxLength={5000}
            value={hypothesis()}
            onInput={(e) => setHypothesis(e.currentTarget.value)}
            placeholder="A green button gets more people to check out."
          />
        </label>
        <label>
          Variants (comma-separated, the first is the control)
          <input required value={variants()} onInput={(e) => setVariants(e.currentTarget.value)} />
        </label>
        <label>
          Decision goal (optional)
          <input
            value={goal()}
            onInput={(e) => setGoal(e.currentTarget.value)}
            placeholder="signup"
          />
        </label>
        <fieldset class="wide">
          <legend>Traffic</legend>
          <For each={MODES}>
            {(m) => (
              <label class="radio">
                <input
                  type="radio"
                  name="mode"
                  value={m.id}
                  checked={mode() === m.id}
                  onChange={() => setMode(m.id)}
                />
                <span>
                  <strong>{m.label}.</strong> {m.explanation}
                </span>
              </label>
            )}
          </For>
        </fieldset>
        <label>
          Visitors per day (your recent traffic)
          <input
            type="number"
            min="1"
            value={visitorsPerDay()}
            onChange={(e) => setTraffic(Number(e.currentTarget.value))}
          />
        </label>
        <label class="radio">
          <input
            type="checkbox"
            checked={start()}
            onChange={(e) => setStart(e.currentTarget.checked)}
          />
          Start it now
        </label>
        <button type="submit">Create experiment</button>
        <Show when={error()}>
          {(e) => (
            <p id="new-experiment-error" role="alert" class="error wide">
              {e().message}
            </p>
          )}
        </Show>
      </form>
      <PlannerEstimate
        request={{
          variants: Math.max(2, variantKeys().length),
          bandit: mode(),
          visitorsPerDay: visitorsPerDay(),
        }}
      />
    </>
  );
}
