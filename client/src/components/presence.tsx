import { For, Show } from 'solid-js';
import type { Viewer } from '../api/types.js';

/** Who else is looking at this experiment right now. */
export function Presence(props: {
  readonly viewers: readonly Viewer[];
  readonly selfId: string | undefined;
}) {
  const others = () => props.viewers.filter((v) => v.id !== props.selfId);
  return (
    <div class="presence" aria-live="polite" data-testid="presence">
      <Show
        when={others().length > 0}
        fallback={<span class="muted small">Only you are here</span>}
      >
        <span class="muted small">Also viewing:</span>
        <For each={others()}>
          {(viewer) => (
            <span class="avatar" title={viewer.label}>
              {viewer.label}
            </span>
          )}
        </For>
      </Show>
    </div>
  );
}
