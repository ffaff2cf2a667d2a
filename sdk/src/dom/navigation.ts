/**
 * Calls `listener` after every in-page navigation: `history.pushState`, `replaceState` and
 * `popstate` (the path may be unchanged; listeners compare it themselves). History is patched
 * once, however many listeners there are, and restored when the last one stops.
 * Returns how to stop listening.
 */
const listeners = new Set<() => void>();
let restore: (() => void) | undefined;

export function onNavigate(listener: () => void): () => void {
  const win = globalThis as unknown as Window;
  if (!restore) {
    const history = win.history;
    const { pushState, replaceState } = history;
    const notify = () => {
      for (const l of listeners) l();
    };
    history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
      pushState.apply(this, args);
      notify();
    };
    history.replaceState = function (this: History, ...args: Parameters<History['replaceState']>) {
      replaceState.apply(this, args);
      notify();
    };
    win.addEventListener('popstate', notify);
    restore = () => {
      history.pushState = pushState;
      history.replaceState = replaceState;
      win.removeEventListener('popstate', notify);
      restore = undefined;
    };
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) restore?.();
  };
}
