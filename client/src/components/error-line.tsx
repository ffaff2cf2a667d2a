import { Show } from 'solid-js';

/** A form's error, read out when it appears; nothing when there is none. */
export function ErrorLine(props: { readonly message: string | undefined }) {
  return (
    <Show when={props.message}>
      <p role="alert" class="error">
        {props.message}
      </p>
    </Show>
  );
}
