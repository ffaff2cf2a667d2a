import { createSignal, For } from 'solid-js';

export interface Toast {
  readonly id: number;
  readonly text: string;
  readonly tone: 'good' | 'warn' | 'info';
}

const [toasts, setToasts] = createSignal<readonly Toast[]>([]);
let nextId = 1;

/** Shows a message for 8 seconds (or until dismissed). */
export function showToast(text: string, tone: Toast['tone'] = 'info'): void {
  const id = nextId++;
  setToasts((all) => [...all, { id, text, tone }]);
  setTimeout(() => dismiss(id), 8_000);
}

function dismiss(id: number) {
  setToasts((all) => all.filter((t) => t.id !== id));
}

/** Where toasts appear; screen readers hear them as they come. */
export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={toasts()}>
        {(toast) => (
          <div class={`toast ${toast.tone}`}>
            <span>{toast.text}</span>
            <button
              type="button"
              class="ghost"
              aria-label="Dismiss"
              onClick={() => dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
