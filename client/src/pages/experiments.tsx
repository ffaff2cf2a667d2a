import { A } from '@solidjs/router';
import { createResource, For, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { projectApi } from '../api/http.js';
import type { Experiment } from '../api/types.js';
import { useProject } from '../components/project-layout.js';
import { StatusBadge } from '../components/status-badge.js';
import { count } from '../format.js';
import { onLive } from '../realtime/hooks.js';

/** A row of the list: what it shows, kept live. */
interface Row {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly status: string;
  readonly decisionStatus: string | null;
  readonly srm: boolean;
  readonly visitors: number;
  readonly conversions: number;
}

const rowOf = (e: Experiment): Row => ({
  id: e.id,
  key: e.key,
  name: e.name,
  status: e.status,
  decisionStatus: e.decision?.status ?? e.decisionStatus,
  srm: e.decision?.srm.detected ?? false,
  visitors: e.decision?.variants.reduce((n, v) => n + v.visitors, 0) ?? 0,
  conversions: e.decision?.variants.reduce((n, v) => n + v.conversions, 0) ?? 0,
});

/** The project's experiments with live status badges and counts. */
export function ExperimentsPage() {
  const { projectId } = useProject();
  const [rows, setRows] = createStore<Row[]>([]);
  const [loaded] = createResource(projectId, async (id) => {
    const { experiments } = await projectApi<{ experiments: Experiment[] }>(
      id,
      'GET',
      '/experiments',
    );
    setRows(reconcile(experiments.map(rowOf), { key: 'id' }));
    return true;
  });

  onLive('experiment:created', ({ experiment }) => {
    if (experiment.projectId !== projectId() || rows.some((r) => r.id === experiment.id)) return;
    setRows(rows.length, {
      id: experiment.id,
      key: experiment.key,
      name: experiment.name,
      status: experiment.status,
      decisionStatus: null,
      srm: false,
      visitors: 0,
      conversions: 0,
    });
  });
  onLive('experiment:updated', ({ experiment }) => {
    if (experiment.projectId !== projectId()) return;
    setRows((r) => r.id === experiment.id, { name: experiment.name, status: experiment.status });
  });
  onLive('experiment:summarized', (summary) => {
    if (summary.projectId !== projectId()) return;
    setRows((r) => r.id === summary.experimentId, {
      decisionStatus: summary.status,
      srm: summary.srmDetected,
      visitors: summary.visitors,
      conversions: summary.conversions,
    });
  });

  return (
    <>
      <div class="page-head">
        <h1>Experiments</h1>
        <A class="button" href={`/projects/${projectId()}/experiments/new`}>
          New experiment
        </A>
      </div>
      <Show when={loaded()} fallback={<p class="loading">Loading…</p>}>
        <Show
          when={rows.length > 0}
          fallback={
            <p class="card">
              No experiment yet. Create one here, or call <code>getVariant</code> in your app: the
              first exposure creates it. <A href={`/projects/${projectId()}/setup`}>Set-up</A> shows
              how.
            </p>
          }
        >
          <table class="table" aria-label="Experiments">
            <thead>
              <tr>
                <th scope="col">Experiment</th>
                <th scope="col">State</th>
                <th scope="col">Decision</th>
                <th scope="col" class="num">
                  Visitors
                </th>
                <th scope="col" class="num">
                  Conversions
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={rows}>
                {(row) => (
                  <tr data-experiment={row.key}>
                    <td class="wrap">
                      <A
                        href={`/projects/${projectId()}/experiments/${encodeURIComponent(row.key)}`}
                      >
                        {row.name}
                      </A>
                      <div class="muted small">{row.key}</div>
                    </td>
                    <td>{row.status}</td>
                    <td>
                      <StatusBadge status={row.decisionStatus} srm={row.srm} />
                    </td>
                    <td class="num" data-field="visitors">
                      {count(row.visitors)}
                    </td>
                    <td class="num" data-field="conversions">
                      {count(row.conversions)}
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
      </Show>
    </>
  );
}
