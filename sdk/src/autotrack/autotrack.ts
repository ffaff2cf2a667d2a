import type { Vibariant } from '../client/client.js';
import { onNavigate } from '../dom/navigation.js';

export interface AutotrackOptions {
  /** Milliseconds without input after which the visitor counts as idle (default 30,000). */
  readonly idleMs?: number;
}

/** Inputs whose fields are never tracked, not even their form's start. */
const PRIVATE_FIELDS =
  'input[type=password],[autocomplete^="cc-"],[autocomplete="one-time-code"],[data-vb-private]';

/**
 * Tracks, for `vb`: page views (the first, then `pushState`, `replaceState` to another path and
 * `popstate`; the path and referrer without query string or fragment), and engagement sent when the page hides: the deepest scroll (a page shorter than
 * the window counts as fully scrolled), active time (visible and not idle), clicks, and forms
 * started and submitted. Never a field's value; fields for passwords, payment cards and
 * one-time codes are ignored entirely. Returns how to stop.
 */
export function autotrack(vb: Vibariant, options: AutotrackOptions = {}): () => void {
  const doc = globalThis.document;
  if (!doc) return () => {};
  const win = globalThis as unknown as Window;
  const idleMs = options.idleMs ?? 30_000;
  let path = '';
  let maxScroll = 0;
  let clicks = 0;
  let formStarts = 0;
  let formSubmits = 0;
  let activeMs = 0;
  let activeSince: number | undefined = doc.visibilityState === 'visible' ? Date.now() : undefined;
  let lastInput = Date.now();
  const started = new WeakSet<Element>();

  /** Active time up to now: visible, and some input within the idle limit. */
  const settle = () => {
    const now = Date.now();
    if (activeSince !== undefined)
      activeMs += Math.max(0, Math.min(now, lastInput + idleMs) - activeSince);
    activeSince = doc.visibilityState === 'visible' ? now : undefined;
  };
  const scroll = () => {
    const root = doc.documentElement;
    const height = root.scrollHeight;
    const seen = win.scrollY + win.innerHeight;
    maxScroll = Math.max(maxScroll, height <= win.innerHeight ? 1 : Math.min(1, seen / height));
  };
  const pageView = () => {
    // The path alone: a query string or fragment can hold what someone typed (a GET form).
    const next = win.location.pathname.slice(0, 2048);
    if (next === path) return;
    path = next;
    vb.capture('page_view', {
      path,
      ...(doc.referrer
        ? { referrer: (doc.referrer.split(/[?#]/)[0] as string).slice(0, 2048) }
        : {}),
    });
    scroll();
  };
  const input = () => {
    if (activeSince !== undefined && Date.now() - lastInput > idleMs) settle();
    lastInput = Date.now();
  };
  const sendEngagement = () => {
    settle();
    scroll();
    if (activeMs === 0 && clicks === 0 && formStarts === 0 && formSubmits === 0 && maxScroll === 0)
      return;
    vb.capture('engagement', {
      scrollDepth: Math.round(maxScroll * 1000) / 1000,
      activeMs: Math.round(activeMs),
      clicks,
      formStarts,
      formSubmits,
    });
    activeMs = 0;
    clicks = 0;
    formStarts = 0;
    formSubmits = 0;
  };
  const onClick = () => {
    input();
    clicks++;
  };
  const onFocusIn = (event: Event) => {
    const field = event.target as Element | null;
    const form = field?.closest?.('form');
    if (!form || !field || field.matches(PRIVATE_FIELDS) || started.has(form)) return;
    started.add(form);
    formStarts++;
  };
  const onSubmit = (event: Event) => {
    const form = event.target as HTMLFormElement | null;
    if (form?.querySelector(PRIVATE_FIELDS) && !started.has(form)) return;
    // Heard last (bubbling up to the window, after the page's own handlers): a submit they
    // prevented did not happen.
    if (!event.defaultPrevented) formSubmits++;
  };
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') sendEngagement();
    else settle();
  };

  const listeners: [EventTarget, string, (event: Event) => void][] = [
    [
      win,
      'scroll',
      () => {
        input();
        scroll();
      },
    ],
    [doc, 'click', onClick],
    [doc, 'keydown', input],
    [doc, 'pointermove', input],
    [doc, 'focusin', onFocusIn],
    [doc, 'visibilitychange', onVisibility],
    [win, 'pagehide', sendEngagement],
  ];
  // Captured, so engagement is queued before the queue is handed to the beacon on page hide.
  for (const [target, type, listener] of listeners)
    target.addEventListener(type, listener, { capture: true, passive: type === 'scroll' });
  win.addEventListener('submit', onSubmit);
  const stopNavigation = onNavigate(pageView);
  pageView();
  return () => {
    for (const [target, type, listener] of listeners)
      target.removeEventListener(type, listener, { capture: true });
    win.removeEventListener('submit', onSubmit);
    stopNavigation();
  };
}
