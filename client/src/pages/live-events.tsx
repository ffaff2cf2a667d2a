import { createSignal, For, Show } from 'solid-js';
import type { LiveEventView } from '../api/types.js';
import { useProject } from '../components/project-layout.js';
import { inRoom, onLive } from '../realtime/hooks.js';
import { command } from '../realtime/socket.js';

const KEEP = 200;

/**
 * The project's incoming SDK events as they arrive (a sample when they come faster than 20 a
 * second), pausable and filterable by type and text.
 */
export function LiveEventsPage() {
  const { projectId } = useProject();
  const [events, setEvents] = createSignal<readonly LiveEventView[]>([]);
  const [rate, setRate] = createSignal<{ perSecond: number; sampled: boolean }>();
  const [paused, setPaused] = createSignal(false);
  const [type, setType] = createSignal('');
  const [search, setSearch] = createSignal('');

  const [refused, setRefused] = createSignal<string>();
  inRoom(
    () =>
      void command('live:subscribe', { projectId: projectId() }).catch((e: Error) =>
        setRefused(e.message),
      ),
    () => void command('live:unsubscribe', { projectId: projectId() }).catch(() => undefined),
  );
  onLive('events:received', (fact) => {
    if (fact.projectId !== projectId()) return;
    setRate({ perSecond: fact.receivedPerSecond, sampled: fact.sampled });
    if (paused()) return;
    setEvents((all) => [...[...fact.events].reverse(), ...all].slice(0, KEEP));
  });

  const shown = () =>
    events().filter((e) => {
      if (type() && e.type !== type()) return false;
      const q = search().trim().toLowerCase();
      if (!q) return true;
      return [e.experiment, e.variant, e.goal, e.page, e.visitor].some((f) =>
        f?.toLowerCase().includes(q),
      );
    });

  return (
    <>
      <div class="page-head">
        <h1>Live events</h1>
        <span class="muted" role="status">
          <Show when={rate()} fallback="Waiting for events…">
            {(r) =>
              `${r().perSecond.toFixed(1)} events a second${r().sampled ? ' (a sample is shown)' : ''}`
            }
          </Show>
        </span>
      </div>
      <Show when={refused()}>
        <p role="alert" class="banner warn">
          {refused()}
        </p>
      </Show>
      <div class="toolbar">
        <button
          type="button"
          class="secondary"
          aria-pressed={paused()}
          onClick={() => setPaused(!paused())}
        >
          {paused() ? 'Resume' : 'Pause'}
        </button>
        <label>
          Type
          <select value={type()} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">All</option>
            <option value="exposure">Exposures</option>
            <option value="conversion">Conversions</option>
            <option value="goal_candidate">Goal candidates</option>
            <option value="page_view">Page views</option>
            <option value="engagement">Engagement</option>
          </select>
        </label>
        <label>
          Filter
          <input
            type="search"
            value={search()}
            onInput={(e) => setSearch(e.currentTarget.value)}
            placeholder="experiment, goal, page, visitor"
          />
        </label>
      </div>
      <table class="table" aria-label="Incoming events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Experiment</th>
            <th scope="col">Variant</th>
            <th scope="col">Goal or page</th>
            <th scope="col">Visitor</th>
          </tr>
        </thead>
        <tbody>
          <For each={shown()}>
            {(e) => (
              <tr>
                <td>{new Date(e.at).toLocaleTimeString()}</td>
                <td>{e.type}</td>
                <td class="wrap">{e.experiment ?? ''}</td>
                <td>{e.variant ?? ''}</td>
                <td class="wrap">{e.goal ?? e.page ?? ''}</td>
                <td>
                  <code>{e.visitor}</code>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </>
  );
}
