import { useParams } from '@solidjs/router';
import { createMemo, createResource, createSignal, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { projectApi } from '../api/http.js';
import type {
  Decision,
  Experiment,
  ExperimentState,
  ExperimentView,
  SnapshotView,
  Viewer,
} from '../api/types.js';
import { ActivityFeed } from '../components/activity-feed.js';
import { DensityChart } from '../components/charts/density-chart.js';
import { HistoryChart, type HistoryPoint } from '../components/charts/history-chart.js';
import { DecisionBanner } from '../components/decision-banner.js';
import { DifferenceChart } from '../components/difference-chart.js';
import { ExperimentControls } from '../components/experiment-controls.js';
import { GoalPanel } from '../components/goal-panel.js';
import { Presence } from '../components/presence.js';
import { useProject } from '../components/project-layout.js';
import { ProxyPanel } from '../components/proxy-panel.js';
import { VariantTable } from '../components/variant-table.js';
import { percent, pp } from '../format.js';
import { inRoom, onLive } from '../realtime/hooks.js';
import { command } from '../realtime/socket.js';
import { session } from '../session.js';

/** A decision at a time: a stored snapshot, or one pushed live since the page opened. */
interface Moment {
  readonly t: number;
  readonly variants: readonly {
    key: string;
    pBest: number;
    expectedLoss: number;
    allocation: number;
  }[];
}

const momentOf = (takenAt: string, decision: SnapshotView['decision']): Moment => ({
  t: Date.parse(takenAt) / 1000,
  variants: decision.variants,
});

/** Moments kept for the history charts (live updates keep one per second, the last). */
const MAX_LIVE_MOMENTS = 2_000;
/** Snapshots read when the page opens (the API's most). */
const MAX_HISTORY = 1_000;

/**
 * An experiment, live: the decision and its recommendation, the variants, the posterior
 * densities, the history of probability to be best, expected loss and allocation, the
 * differences against the ROPE, the engagement proxy, SRM, goals, notes, who else is here,
 * and the controls. State comes from joining the experiment's room (again after a reconnect).
 */
export function ExperimentPage() {
  const params = useParams<{ key: string }>();
  const { projectId } = useProject();
  const [state, setState] = createStore<{
    experiment: ExperimentView | null;
    decision: Decision | null;
    moments: Moment[];
    viewers: Viewer[];
  }>({ experiment: null, decision: null, moments: [], viewers: [] });
  const [missing, setMissing] = createSignal<string>();
  const [details, { refetch: refetchDetails }] = createResource(
    () => [projectId(), params.key] as const,
    ([id, key]) =>
      projectApi<{ experiment: Experiment }>(
        id,
        'GET',
        `/experiments/${encodeURIComponent(key)}`,
      ).then((r) => r.experiment),
  );

  const join = () => {
    const key = params.key;
    void command<'experiment:join', { state: ExperimentState }>('experiment:join', {
      projectId: projectId(),
      experimentKey: key,
    })
      .then(({ state: joined }) => {
        setMissing(undefined);
        setState({
          experiment: joined.experiment,
          decision: joined.decision,
          moments: joined.snapshots.map((s) => momentOf(s.takenAt, s.decision)),
        });
        void loadHistory(key).catch(() => undefined); // the last 100 are shown meanwhile
      })
      .catch((error: Error) => setMissing(error.message));
  };
  /** The longer history (the room's state has the last 100 snapshots): up to 1,000 of them. */
  const loadHistory = async (key: string) => {
    const { decisions } = await projectApi<{ decisions: SnapshotView[] }>(
      projectId(),
      'GET',
      `/experiments/${encodeURIComponent(key)}/decisions?limit=${MAX_HISTORY}`,
    );
    const older = decisions.map((d) => momentOf(d.takenAt, d.decision)).sort((a, b) => a.t - b.t);
    const last = older.at(-1)?.t ?? 0;
    setState('moments', (live) => [...older, ...live.filter((m) => m.t > last)]);
  };
  inRoom(
    join,
    () =>
      void command('experiment:leave', { projectId: projectId(), experimentKey: params.key }).catch(
        () => undefined,
      ),
  );

  const mine = (experimentId: string) => experimentId === state.experiment?.id;
  onLive('decision:updated', (update) => {
    if (!mine(update.experimentId)) return;
    setState('decision', reconcile(update.decision));
    const moment = momentOf(new Date().toISOString(), update.decision);
    setState('moments', (all) => {
      const kept =
        all.at(-1) && Math.floor((all.at(-1) as Moment).t) === Math.floor(moment.t)
          ? all.slice(0, -1)
          : all;
      return [...kept, moment].slice(-MAX_LIVE_MOMENTS);
    });
  });
  onLive('experiment:updated', ({ experiment }) => {
    if (!mine(experiment.id)) return;
    setState('experiment', experiment);
    void refetchDetails();
  });
  onLive('allocation:changed', ({ experimentId, allocation }) => {
    if (!mine(experimentId)) return;
    const experiment = state.experiment;
    if (experiment) {
      setState('experiment', {
        ...experiment,
        allocation: { weights: [...allocation.weights], version: allocation.version },
      });
    }
  });
  onLive('presence:changed', ({ experimentId, viewers }) => {
    if (mine(experimentId)) setState('viewers', [...viewers]);
  });

  const keys = createMemo(() => state.decision?.variants.map((v) => v.key) ?? []);
  const series = (pick: (v: Moment['variants'][number]) => number) =>
    state.moments.map(
      (m): HistoryPoint => ({
        t: m.t,
        values: keys().map((k) => {
          const v = m.variants.find((x) => x.key === k);
          return v ? pick(v) : null;
        }),
      }),
    );

  return (
    <Show
      when={state.experiment}
      fallback={<p class={missing() ? 'error' : 'loading'}>{missing() ?? 'Loading…'}</p>}
    >
      {(experiment) => (
        <article class="experiment">
          <div class="page-head">
            <div>
              <h1>{experiment().name}</h1>
              <p class="muted small">
                <code>{experiment().key}</code> · {experiment().status}
                {experiment().hypothesis ? ` · ${experiment().hypothesis}` : ''}
              </p>
            </div>
            <Presence viewers={state.viewers} selfId={session.me()?.user.id} />
          </div>
          <DecisionBanner decision={state.decision} />
          <Show when={state.decision?.srm.detected}>
            <p class="banner warn" role="alert" data-testid="srm-warning">
              Sample ratio mismatch: the variants got visitors in other proportions than the
              allocation says (p = {state.decision?.srm.pValue?.toExponential(1)}). Check that every
              variant loads and sends its exposure before trusting these numbers.
            </p>
          </Show>
          <Show when={state.decision}>
            {(decision) => (
              <>
                <VariantTable decision={decision()} weights={experiment().allocation.weights} />
                <div class="grid-2">
                  <section class="card">
                    <h2>Where each conversion rate probably is</h2>
                    <DensityChart decision={decision()} />
                  </section>
                  <section class="card">
                    <h2>Differences and the region of practical equivalence</h2>
                    <DifferenceChart decision={decision()} />
                  </section>
                </div>
                <Show when={state.moments.length > 1 && keys().join('\n')} keyed>
                  <div class="grid-3">
                    <section class="card">
                      <h2>Probability to be best</h2>
                      <HistoryChart
                        label="Probability to be best over time"
                        keys={keys()}
                        points={series((v) => v.pBest)}
                        format={(x) => percent(x, 0)}
                        range={[0, 1]}
                      />
                    </section>
                    <section class="card">
                      <h2>Expected loss</h2>
                      <HistoryChart
                        label="Expected loss over time"
                        keys={keys()}
                        points={series((v) => v.expectedLoss)}
                        format={(x) => pp(x)}
                      />
                    </section>
                    <section class="card">
                      <h2>Traffic share</h2>
                      <HistoryChart
                        label="Allocation over time"
                        keys={keys()}
                        points={series((v) => v.allocation)}
                        format={(x) => percent(x, 0)}
                        range={[0, 1]}
                      />
                    </section>
                  </div>
                </Show>
                <ProxyPanel decision={decision()} />
              </>
            )}
          </Show>
          <div class="grid-2">
            <GoalPanel projectId={projectId()} decisionGoal={experiment().primaryGoal} />
            <ExperimentControls
              projectId={projectId()}
              experiment={experiment()}
              details={details()}
              inForce={state.decision?.thresholds}
            />
          </div>
          <ActivityFeed
            projectId={projectId()}
            experimentKey={experiment().key}
            experimentId={experiment().id}
          />
        </article>
      )}
    </Show>
  );
}

/**
 * The experiment page's route: a page of its own for each experiment key, so that moving from
 * one experiment to another leaves the first one's room and starts from the second's state.
 */
export function ExperimentRoute() {
  const params = useParams<{ key: string }>();
  return (
    <Show when={params.key} keyed>
      {(_key: string) => <ExperimentPage />}
    </Show>
  );
}
