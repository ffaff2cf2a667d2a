import type { Vibariant } from '../client/client.js';
import type { KeyValue } from '../client/storage.js';
import { readJson, safeStorage } from '../client/storage.js';
import { onNavigate } from '../dom/navigation.js';

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

/** Paths of pages that are reached by converting: a thank-you or confirmation page. */
const DONE_PAGE = /(thank-?you|thanks|success|confirm(ed|ation)|welcome|order-complete|receipt)/i;

/** Whether `element` matches `selector`, or sits inside one that does; false for a bad selector. */
const within = (element: Element, selector: string): boolean => {
  try {
    return element.closest(selector) !== null;
  } catch {
    return false;
  }
};

/**
 * Smart goals for `vb`:
 * - An element marked `data-vb-goal="name"` records a conversion of that goal when clicked (a
 *   form: when submitted).
 * - A confirmed goal (`vb.goals`, from the project's configuration) records a conversion of its
 *   key: `click:<selector>` when a matching element (or one inside it) is clicked,
 *   `form:<selector>` when a matching form is submitted and no handler prevented it,
 *   `page:<path>` when the page's path is `path` (at load and after in-page navigation).
 * - An unmarked element that looks like a conversion (see `score`), and a page whose path says
 *   thank you or confirmed, is reported once per visitor as a goal candidate (`click:…`,
 *   `form:…` or `page:…`, the key the goal keeps once a person confirms it).
 * Returns how to stop.
 */
export function detectGoals(vb: Vibariant, storage: KeyValue = safeStorage()): () => void {
  const doc = globalThis.document;
  if (!doc) return () => {};
  const sent = new Set(readJson<string[]>(storage, SENT_KEY, []));
  const report = (goal: string, kind: string, fields: Record<string, string>) => {
    if (sent.has(goal)) return;
    sent.add(goal);
    storage.set(SENT_KEY, JSON.stringify([...sent]));
    vb.capture('goal_candidate', { goal, kind, ...fields });
  };
  const candidate = (element: Element, prefix: 'click' | 'form') => {
    if (score(element) < THRESHOLD) return;
    const selector = selectorOf(element);
    report(`${prefix}:${selector}`.slice(0, 128), prefix === 'click' ? 'click' : 'form_submit', {
      label: textOf(element),
      selector,
    });
  };
  /** Records the confirmed `prefix:` goals that `test` accepts; whether there was one. */
  const confirmed = (prefix: string, test: (rest: string) => boolean): boolean => {
    let hit = false;
    for (const goal of vb.goals) {
      if (goal.startsWith(prefix) && test(goal.slice(prefix.length))) {
        vb.track(goal);
        hit = true;
      }
    }
    return hit;
  };
  const onClick = (event: Event) => {
    const target = event.target as Element | null;
    const element = target?.closest?.('a,button,[role=button],input[type=submit],[data-vb-goal]');
    const marked = element?.closest('[data-vb-goal]')?.getAttribute('data-vb-goal');
    if (marked) vb.track(marked);
    const hit = target?.closest ? confirmed('click:', (s) => within(target, s)) : false;
    if (element && !marked && !hit) candidate(element, 'click');
  };
  const onSubmit = (event: Event) => {
    const form = event.target as HTMLFormElement | null;
    if (!form || event.defaultPrevented) return;
    const marked = form.getAttribute('data-vb-goal');
    if (marked) vb.track(marked);
    const hit = confirmed('form:', (s) => within(form, s));
    if (!marked && !hit) candidate(form, 'form');
  };
  let path: string | undefined;
  let tracked = false;
  const onPage = () => {
    const next = globalThis.location.pathname;
    if (next !== path) {
      path = next;
      tracked = false;
    }
    if (!tracked) tracked = confirmed('page:', (p) => p === next);
    if (!tracked && DONE_PAGE.test(next)) report(`page:${next}`.slice(0, 128), 'page_view', {});
  };
  doc.addEventListener('click', onClick, true);
  globalThis.addEventListener('submit', onSubmit);
  const stopNavigation = onNavigate(onPage);
  onPage();
  // The refreshed configuration may confirm this page's goal.
  void vb.ready.then(onPage);
  return () => {
    doc.removeEventListener('click', onClick, true);
    globalThis.removeEventListener('submit', onSubmit);
    stopNavigation();
  };
}
