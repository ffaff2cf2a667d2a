import { createResource, createSignal, For } from 'solid-js';
import { createStore } from 'solid-js/store';
import { projectApi } from '../api/http.js';
import type { NoteView } from '../api/types.js';
import { ErrorLine } from '../components/error-line.js';
import { when } from '../format.js';
import { onLive } from '../realtime/hooks.js';

/** The experiment's notes, newest first, with a form to add one; others' notes appear live. */
export function ActivityFeed(props: {
  readonly projectId: string;
  readonly experimentKey: string;
  readonly experimentId: string;
}) {
  const [notes, setNotes] = createStore<NoteView[]>([]);
  createResource(
    () => [props.projectId, props.experimentKey] as const,
    async ([projectId, key]) => {
      const r = await projectApi<{ notes: NoteView[] }>(
        projectId,
        'GET',
        `/experiments/${encodeURIComponent(key)}/notes`,
      );
      setNotes(r.notes);
    },
  );
  onLive('note:added', ({ experimentId, note }) => {
    if (experimentId !== props.experimentId || notes.some((n) => n.id === note.id)) return;
    setNotes((all) => [...all, note]);
  });
  const [draft, setDraft] = createSignal('');
  const [error, setError] = createSignal<string>();
  const add = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const { note } = await projectApi<{ note: NoteView }>(
        props.projectId,
        'POST',
        `/experiments/${encodeURIComponent(props.experimentKey)}/notes`,
        { body: draft() },
      );
      if (!notes.some((n) => n.id === note.id)) setNotes((all) => [...all, note]);
      setDraft('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const newestFirst = () => [...notes].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      <form class="stack" onSubmit={add}>
        <label for="note-body">Add a note</label>
        <textarea
          id="note-body"
          rows={2}
          maxLength={5000}
          required
          value={draft()}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
        <button type="submit">Add note</button>
        <ErrorLine message={error()} />
      </form>
      <ol class="feed">
        <For each={newestFirst()}>
          {(note) => (
            <li>
              <div class="muted small">
                {note.authorLabel} · {when(note.createdAt)}
              </div>
              <p class="note-body">{note.body}</p>
            </li>
          )}
        </For>
      </ol>
    </section>
  );
}
