import { Show } from 'solid-js';
import { STATUS, statusLabel } from '../format.js';

/** A decision's status as a coloured label, with an SRM warning beside it. */
export function StatusBadge(props: { status: string | null | undefined; srm?: boolean }) {
  return (
    <span class="badges">
      <span class={`badge ${STATUS[props.status ?? '']?.tone ?? 'neutral'}`}>
        {statusLabel(props.status)}
      </span>
      <Show when={props.srm}>
        <span class="badge warn" title="Sample ratio mismatch: traffic is not split as allocated">
          SRM warning
        </span>
      </Show>
    </span>
  );
}
