import { A } from '@solidjs/router';
import { createResource, For, onMount, Show } from 'solid-js';
import { projectApi } from '../api/http.js';
import type { Experiment, Notification } from '../api/types.js';
import { useProject } from '../components/project-layout.js';
import { describeNotification, when } from '../format.js';
import { onLive } from '../realtime/hooks.js';

/** The project's notifications, newest first; opening the inbox marks them read. */
export function NotificationsPage() {
  const { projectId, setUnread } = useProject();
  const [notifications, { refetch }] = createResource(projectId, (id) =>
    projectApi<{ notifications: Notification[] }>(id, 'GET', '/notifications').then(
      (r) => r.notifications,
    ),
  );
  const [experiments] = createResource(projectId, (id) =>
    projectApi<{ experiments: Experiment[] }>(id, 'GET', '/experiments?includeArchived=true').then(
      (r) => new Map(r.experiments.map((e) => [e.id, e.key])),
    ),
  );
  const markRead = async () => {
    await projectApi(projectId(), 'POST', '/notifications/read', {}).catch(() => undefined);
    setUnread(0);
  };
  onMount(markRead);
  onLive('notification:created', () => {
    void refetch();
    void markRead();
  });
  return (
    <>
      <h1>Notifications</h1>
      <Show when={notifications()} fallback={<p class="loading">Loading…</p>}>
        <Show when={notifications()?.length} fallback={<p class="muted">Nothing yet.</p>}>
          <ol class="feed">
            <For each={notifications()}>
              {(n) => (
                <li data-kind={n.kind}>
                  <div class="muted small">{when(n.createdAt)}</div>
                  <p>{describeNotification(n)}</p>
                  <Show when={n.experimentId && experiments()?.get(n.experimentId)}>
                    {(key) => (
                      <A href={`/projects/${projectId()}/experiments/${encodeURIComponent(key())}`}>
                        Open the experiment
                      </A>
                    )}
                  </Show>
                </li>
              )}
            </For>
          </ol>
        </Show>
      </Show>
    </>
  );
}
