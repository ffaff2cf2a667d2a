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

/** Longest selector in a goal key: `click:` or `form:` and it fit in the 128 characters. */
const MAX_SELECTOR = 120;
/** Candidates remembered as reported, per browser. */
const MAX_REMEMBERED = 200;

/** An identifier as CSS writes it (`CSS.escape`; without it, only plain ones are used). */
const ident = (name: string): string | undefined => {
  const cssEscape = (globalThis.CSS as Partial<typeof CSS> | undefined)?.escape;
  return cssEscape ? cssEscape(name) : /^[a-z_][\w-]*$/i.test(name) ? name : undefined;
};

/**
 * A short, stable CSS selector of `element` that matches it alone: its ID, else its tag with up
 * to two classes, under its parents up to the nearest ID (at most four steps and
 * `MAX_SELECTOR` characters, cut at a step); where that matches other elements too, each step
 * also says its position (`:nth-of-type`). Names are escaped, so any ID or class (`md:flex`,
 * `w-1/2`) gives valid CSS. Returns '' when no such selector is found (nothing is reported).
 */
export function selectorOf(element: Element): string {
  for (const numbered of [false, true]) {
    let selector = '';
    let node: Element | null = element;
    for (let steps = 0; node && steps < 4; steps++) {
      const id = node.id ? ident(node.id) : undefined;
      const tag = node.tagName.toLowerCase();
      const position = [...(node.parentElement?.children ?? [])]
        .filter((sibling) => sibling.tagName === node?.tagName)
        .indexOf(node);
      const part = id
        ? `#${id}`
        : tag +
          [...node.classList]
            .map(ident)
            .filter(Boolean)
            .slice(0, 2)
            .map((c) => `.${c}`)
            .join('') +
          (numbered && position >= 0 ? `:nth-of-type(${position + 1})` : '');
      const next = selector ? `${part} > ${selector}` : part;
      if (next.length > MAX_SELECTOR) break;
      selector = next;
      if (id) break;
      node = node.parentElement;
    }
    try {
      const found = element.ownerDocument.querySelectorAll(selector);
      if (found.length === 1 && found[0] === element) return selector;
    } catch {
      // not valid CSS after all: try the next form
    }
  }
  return '';
}

/**
 * Visible text of an element, trimmed to 64 characters, whole ones (an emoji is never cut in
 * two); never a field's value.
 */
const textOf = (element: Element): string =>
  Array.from(
    (element.getAttribute('aria-label') ?? element.textContent ?? '').replace(/\s+/g, ' ').trim(),
  )
    .slice(0, 64)
    .join('');

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

/**
 * A path with its IDs (numbers, UUIDs, long hex) as `:id`: one goal for every order's
 * confirmation page.
 */
export const pagePattern = (path: string): string =>
  path.replace(/\/(\d+|[\da-f]{8}-[\da-f-]{27}|[\da-f]{16,})(?=\/|$)/gi, '/:id');

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
 *   `page:<path>` when the page's path, IDs as `:id` (`pagePattern`), is `path` (at load and
 *   after in-page navigation).
 * - An unmarked element that looks like a conversion (see `score`), and a page whose path says
 *   thank you or confirmed, is reported once per visitor as a goal candidate (`click:…`,
 *   `form:…` or `page:…`, the key the goal keeps once a person confirms it).
 * Clicks inside open shadow roots count; submits there do not reach the page (they are not
 * composed). A `data-vb-goal` over 128 characters is ignored. Returns how to stop.
 */
export function detectGoals(vb: Vibariant, storage: KeyValue = safeStorage()): () => void {
  const doc = globalThis.document;
  if (!doc) return () => {};
  const sent = new Set(readJson<string[]>(storage, SENT_KEY, []));
  const report = (goal: string, kind: string, fields: Record<string, string>) => {
    if (sent.has(goal) || goal.length > 128) return;
    sent.add(goal);
    storage.set(SENT_KEY, JSON.stringify([...sent].slice(-MAX_REMEMBERED)));
    vb.capture('goal_candidate', { goal, kind, ...fields });
  };
  const candidate = (element: Element, prefix: 'click' | 'form') => {
    if (score(element) < THRESHOLD) return;
    const selector = selectorOf(element);
    if (!selector) return;
    report(`${prefix}:${selector}`, prefix === 'click' ? 'click' : 'form_submit', {
      label: textOf(element),
      selector,
    });
  };
  /** A goal named in the page (`data-vb-goal`); a malformed name is ignored. */
  const marked = (element: Element | null | undefined): boolean => {
    const goal = element?.getAttribute('data-vb-goal');
    if (goal && goal.length < 129) vb.track(goal);
    return Boolean(goal);
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
    // The element clicked, also inside an open shadow root.
    const target = event.composedPath?.()[0] ?? event.target;
    if (!(target instanceof Element)) return;
    const element = target.closest('a,button,[role=button],input[type=submit],[data-vb-goal]');
    // A marked form converts when it is sent, not when something inside it is clicked.
    const named = marked(element?.closest('[data-vb-goal]:not(form)'));
    const hit = confirmed('click:', (s) => within(target, s));
    if (element && !named && !hit) candidate(element, 'click');
  };
  const onSubmit = (event: Event) => {
    const form = event.target;
    if (!(form instanceof Element) || event.defaultPrevented) return;
    const named = marked(form);
    const hit = confirmed('form:', (s) => within(form, s));
    if (!named && !hit) candidate(form, 'form');
  };
  let path: string | undefined;
  let tracked = false;
  const onPage = () => {
    const next = pagePattern(globalThis.location.pathname);
    if (next !== path) {
      path = next;
      tracked = false;
    }
    if (!tracked) tracked = confirmed('page:', (p) => p === next);
    if (!tracked && DONE_PAGE.test(next)) report(`page:${next}`, 'page_view', {});
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
