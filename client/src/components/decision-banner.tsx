import { Show } from 'solid-js';
import type { Decision } from '../api/types.js';
import { STATUS, statusLabel } from '../format.js';

/** The decision in a sentence: its status and the engine's plain-English recommendation. */
export function DecisionBanner(props: { readonly decision: Decision | null }) {
  const tone = () => STATUS[props.decision?.status ?? '']?.tone ?? 'neutral';
  return (
    <section
      class={`banner ${tone()}`}
      aria-live="polite"
      aria-label="Decision"
      data-status={props.decision?.status ?? 'none'}
    >
      <Show
        when={props.decision}
        fallback={<p>No visitors yet: the decision appears with the first exposures.</p>}
      >
        {(decision) => (
          <>
            <strong class="banner-status">{statusLabel(decision().status)}</strong>
            <p>{decision().recommendation}</p>
          </>
        )}
      </Show>
    </section>
  );
}
