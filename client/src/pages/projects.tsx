import { A, useNavigate } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { request } from '../api/http.js';
import type { Project } from '../api/types.js';
import { ErrorLine } from '../components/error-line.js';
import { TopBar } from '../components/top-bar.js';
import { session } from '../session.js';

/** The projects the person belongs to, and a form to create one. */
export function ProjectsPage() {
  const navigate = useNavigate();
  const [projects] = createResource(() =>
    request<{ projects: Project[] }>('GET', '/api/projects').then((r) => r.projects),
  );
  const [name, setName] = createSignal('');
  const [error, setError] = createSignal<string>();

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const { project } = await request<{ project: Project }>('POST', '/api/projects', {
        name: name().trim(),
      });
      await session.reload(); // the new membership: owner
      navigate(`/projects/${project.id}/setup`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <>
      <TopBar />
      <main class="page">
        <h1>Projects</h1>
        <Show when={projects()} fallback={<p class="loading">Loading…</p>}>
          <Show when={projects()?.length} fallback={<p>No project yet: create the first one.</p>}>
            <ul class="list">
              <For each={projects()}>
                {(project) => (
                  <li>
                    <A href={`/projects/${project.id}`}>{project.name}</A>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Show>
        <form class="card inline" onSubmit={create}>
          <label for="project-name">New project</label>
          <input
            id="project-name"
            required
            maxLength={200}
            placeholder="My app"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit">Create project</button>
          <ErrorLine message={error()} />
        </form>
      </main>
    </>
  );
}
