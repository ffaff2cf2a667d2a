import type { Vibariant } from '../client/client.js';
import type { KeyValue } from '../client/storage.js';
import { readJson, safeStorage } from '../client/storage.js';

/** Words that say "this converts", in text, attributes or link targets. */
const INTENT =
  /\b(sign ?up|register|subscribe|buy|purchase|order|checkout|check out|start (a |your )?(free )?trial|get started|book|contact|download|add to (cart|bag)|join|pricing)\b/i;
/** Link targets of conversion pages. */
const TARGET = /(sign-?up|register|checkout|cart|thank-?you|success|subscribe|pricing)/i;
/** Score at which an element is reported as a candidate. */
const THRESHOLD = 2;
const SENT_KEY = 'vv:candidates';

/** A short, stable CSS selector: the ID, else the tag with classes under the nearest ID. */
export function selectorOf(element: Element): string {
  const parts: string[] = [];
  let node: Element | null = element;
  while (node && parts.length < 4) {
    if (node.id) {
      parts.unshift(`#${node.id}`);
      break;
    }
    const classes = [...node.classList]
      .slice(0, 2)
      .map((c) => `.${c}`)
      .join('');
    parts.unshift(node.tagName.toLowerCase() + classes);
    node = node.parentElement;
  }
  return parts.join(' > ').slice(0, 500);
}

/** Visible text of an element, trimmed to 64 characters (never a field's value). */
const textOf = (element: Element): string =>
  (element.getAttribute('aria-label') ?? element.textContent ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64);

/**
 * How much an element looks like a conversion: its text or attributes say so (2), its link or
 * form target is a conversion page (2), it is a form with an email field (2), a submit button (1).
 */
export function score(element: Element): number {
  let points = 0;
  const words = [textOf(element), element.id, element.getAttribute('name'), element.className]
    .filter((w): w is string => typeof w === 'string')
    .join(' ');
  if (INTENT.test(words)) points += 2;
  const target = element.getAttribute('href') ?? element.getAttribute('action') ?? '';
  if (TARGET.test(target)) points += 2;
  if (
    element.tagName === 'FORM' &&
    element.querySelector('input[type=email],input[name*=email],input[name*=Email]')
  ) {
    points += 2;
  }
  if (element.matches('button[type=submit],input[type=submit]')) points += 1;
  return points;
}

/**
 * Smart goals for `vb`: an element marked `data-vb-goal="name"` records a conversion of that
 * goal when clicked (or its form submitted); an unmarked one that looks like a conversion
 * (see `score`) is reported once per visitor as a goal candidate (`click:<selector>` or
 * `form:<selector>`), for a person to confirm or reject. Returns how to stop.
 */
export function detectGoals(vb: Vibariant, storage: KeyValue = safeStorage()): () => void {
  const doc = globalThis.document;
  if (!doc) return () => {};
  const sent = new Set(readJson<string[]>(storage, SENT_KEY, []));
  const candidate = (element: Element, kind: 'click' | 'form_submit') => {
    const selector = selectorOf(element);
    const goal = `${kind === 'click' ? 'click' : 'form'}:${selector}`.slice(0, 128);
    if (sent.has(goal) || score(element) < THRESHOLD) return;
    sent.add(goal);
    storage.set(SENT_KEY, JSON.stringify([...sent]));
    vb.capture('goal_candidate', { goal, kind, label: textOf(element), selector });
  };
  const onClick = (event: Event) => {
    const element = (event.target as Element | null)?.closest?.(
      'a,button,[role=button],input[type=submit],[data-vb-goal]',
    );
    if (!element) return;
    const marked = element.closest('[data-vb-goal]')?.getAttribute('data-vb-goal');
    if (marked) vb.track(marked);
    else candidate(element, 'click');
  };
  const onSubmit = (event: Event) => {
    const form = event.target as HTMLFormElement | null;
    if (!form || event.defaultPrevented) return;
    const marked = form.getAttribute('data-vb-goal');
    if (marked) vb.track(marked);
    else candidate(form, 'form_submit');
  };
  doc.addEventListener('click', onClick, true);
  globalThis.addEventListener('submit', onSubmit);
  return () => {
    doc.removeEventListener('click', onClick, true);
    globalThis.removeEventListener('submit', onSubmit);
  };
}
