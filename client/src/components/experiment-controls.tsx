import { createSignal, For, Show } from 'solid-js';
import { projectApi } from '../api/http.js';
import type { Experiment, ExperimentView, Thresholds } from '../api/types.js';

/** The lifecycle actions an experiment in `status` allows. */
const ACTIONS: Record<string, { action: string; label: string }[]> = {
  draft: [{ action: 'start', label: 'Start' }],
  running: [
    { action: 'pause', label: 'Pause' },
    { action: 'stop', label: 'Stop' },
  ],
  paused: [
    { action: 'start', label: 'Resume' },
    { action: 'stop', label: 'Stop' },
  ],
  stopped: [{ action: 'archive', label: 'Archive' }],
};

/** What the settings form edits, as text fields. */
interface Fields {
  minVisitorsPerVariant: string;
  lossThreshold: string;
  minProbabilityToBeBest: string;
  ropeRelative: string;
  priorAlpha: string;
  priorBeta: string;
  banditMode: string;
  primaryGoal: string;
}

const text = (n: number | undefined | null) => (n === undefined || n === null ? '' : String(n));
const number = (s: string) => (s.trim() === '' ? undefined : Number(s));

/**
 * Start, pause, stop and archive; and the decision's settings: thresholds, prior, bandit mode
 * and decision goal. Changes are saved through the API and reach everyone watching.
 */
export function ExperimentControls(props: {
  readonly projectId: string;
  readonly experiment: ExperimentView;
  readonly details: Experiment | undefined;
  /** The thresholds the decision used (defaults included), shown where a field is empty. */
  readonly inForce?: { readonly [K in keyof Thresholds]-?: number | null } | undefined;
}) {
  const [error, setError] = createSignal<{ message: string; field?: string | undefined }>();
  const [saved, setSaved] = createSignal(false);
  const path = () => `/experiments/${encodeURIComponent(props.experiment.key)}`;
  const fields = (): Fields => {
    const d = props.details;
    return {
      minVisitorsPerVariant: text(d?.thresholds?.minVisitorsPerVariant),
      lossThreshold: text(d?.thresholds?.lossThreshold),
      minProbabilityToBeBest: text(d?.thresholds?.minProbabilityToBeBest),
      ropeRelative: text(d?.thresholds?.ropeRelative),
      priorAlpha: text(d?.prior?.alpha),
      priorBeta: text(d?.prior?.beta),
      banditMode: props.experiment.banditMode,
      primaryGoal: props.experiment.primaryGoal ?? '',
    };
  };
  const act = async (action: string) => {
    setError(undefined);
    try {
      await projectApi(props.projectId, 'POST', `${path()}/${action}`, {});
    } catch (e) {
      setError({ message: (e as Error).message });
    }
  };
  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    setSaved(false);
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const get = (name: keyof Fields) => String(form.get(name) ?? '');
    const thresholds = Object.fromEntries(
      (
        [
          'minVisitorsPerVariant',
          'lossThreshold',
          'minProbabilityToBeBest',
          'ropeRelative',
        ] as const
      )
        .map((k) => [k, number(get(k))])
        .filter(([, v]) => v !== undefined),
    );
    const alpha = number(get('priorAlpha'));
    const beta = number(get('priorBeta'));
    try {
      await projectApi(props.projectId, 'PATCH', path(), {
        thresholds: Object.keys(thresholds).length > 0 ? thresholds : null,
        prior: alpha !== undefined && beta !== undefined ? { alpha, beta } : null,
        banditMode: get('banditMode'),
        primaryGoal: get('primaryGoal').trim() || null,
      });
      setSaved(true);
    } catch (e) {
      const field = (e as { field?: string }).field;
      setError({ message: (e as Error).message, field });
    }
  };
  const input = (name: keyof Fields, label: string, hint: string) => (
    <label>
      {label}
      <input
        name={name}
        value={fields()[name]}
        placeholder={text(props.inForce?.[name as keyof Thresholds])}
        inputMode="decimal"
        aria-describedby={`${name}-hint`}
      />
      <span id={`${name}-hint`} class="muted small">
        {hint}
      </span>
    </label>
  );
  return (
    <section class="card" aria-labelledby="controls-title">
      <h2 id="controls-title">Controls</h2>
      <div class="actions">
        <span>
          State: <strong data-testid="experiment-status">{props.experiment.status}</strong>
        </span>
        <For each={ACTIONS[props.experiment.status] ?? []}>
          {(a) => (
            <button type="button" class="secondary" onClick={() => act(a.action)}>
              {a.label}
            </button>
          )}
        </For>
      </div>
      <details>
        <summary>Decision settings</summary>
        <form class="grid-form" onSubmit={save}>
          {input(
            'minVisitorsPerVariant',
            'Minimum visitors per variant',
            'Before any call. Empty: the value in force, shown in grey.',
          )}
          {input(
            'lossThreshold',
            'Largest acceptable expected loss',
            'In conversion rate, e.g. 0.001 = 0.1 pp.',
          )}
          {input('minProbabilityToBeBest', 'Probability to be best needed', 'e.g. 0.95.')}
          {input(
            'ropeRelative',
            'Practical equivalence (relative)',
            'e.g. 0.05: within 5% counts as the same.',
          )}
          {input('priorAlpha', 'Prior α', 'Leave both empty for the project’s history.')}
          {input('priorBeta', 'Prior β', '')}
          <label>
            Traffic
            <select name="banditMode" value={fields().banditMode}>
              <option value="top-two">
                Top-two bandit: more traffic to the two best, to decide fast
              </option>
              <option value="thompson">
                Thompson bandit: more traffic to the likely best, to win more meanwhile
              </option>
              <option value="off">Fixed split: the allocation stays as set</option>
            </select>
          </label>
          {input(
            'primaryGoal',
            'Decision goal',
            'Empty: the confirmed goal with the most conversions.',
          )}
          <button type="submit">Save settings</button>
          <Show when={saved()}>
            <span role="status">Saved.</span>
          </Show>
        </form>
      </details>
      <Show when={error()}>
        {(e) => (
          <p role="alert" class="error">
            {e().message}
          </p>
        )}
      </Show>
    </section>
  );
}
