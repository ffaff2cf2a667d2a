// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { autotrack } from '../src/autotrack/index.js';
import { createVibariant, memoryStorage } from '../src/index.js';

interface Captured {
  readonly type: string;
  readonly [field: string]: unknown;
}

beforeEach(() => {
  Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
  Object.defineProperty(navigator, 'sendBeacon', { value: () => false, configurable: true });
  document.body.innerHTML = '';
  history.replaceState(null, '', '/');
});
afterEach(() => vi.restoreAllMocks());

function setUp() {
  const bodies: string[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    if (String(url).includes('/v1/events')) bodies.push(String(init?.body));
    return new Response('{}', { status: 200 });
  }) as typeof globalThis.fetch;
  const vb = createVibariant({
    token: 'vv_proj_t',
    apiHost: 'https://ab.example',
    storage: memoryStorage(),
    fetch,
    flushMs: 5,
  });
  const events = (): Captured[] =>
    bodies.flatMap((b) => (JSON.parse(b) as { events: Captured[] }).events);
  return { vb, bodies, events };
}

describe('autotrack', () => {
  it('records page views: the first, pushState to a new path, and popstate', async () => {
    const { vb, events } = setUp();
    const stop = autotrack(vb);
    history.pushState(null, '', '/pricing?plan=pro');
    history.replaceState(null, '', '/pricing?plan=pro'); // same path: nothing
    history.pushState(null, '', '/checkout');
    window.dispatchEvent(new PopStateEvent('popstate'));
    await vb.flush();
    expect(
      events()
        .filter((e) => e.type === 'page_view')
        .map((e) => e.path),
    ).toEqual(['/', '/pricing?plan=pro', '/checkout']);
    stop();
    history.pushState(null, '', '/after-stop');
    await vb.flush();
    expect(events().some((e) => e.path === '/after-stop')).toBe(false);
  });

  it('sends engagement when the page hides: clicks, forms, scroll; never a field value', async () => {
    const { vb, bodies, events } = setUp();
    document.body.innerHTML = `
      <form id="signup"><input name="email" id="email"><button type="button" id="go">Sign up</button></form>
      <form id="login"><input type="password" id="pw"><button>Log in</button></form>
      <form id="blocked"><input id="q"><button>Search</button></form>`;
    const stop = autotrack(vb);
    const email = document.getElementById('email') as HTMLInputElement;
    email.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
    email.value = 'secret-address@example.com';
    email.dispatchEvent(new FocusEvent('focusin', { bubbles: true })); // the same form: once
    (document.getElementById('pw') as HTMLInputElement).value = 'hunter2-password';
    document.getElementById('pw')?.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
    document.getElementById('go')?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    document
      .getElementById('signup')
      ?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    const blocked = document.getElementById('blocked') as HTMLFormElement;
    blocked.addEventListener('submit', (e) => e.preventDefault());
    blocked.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    window.dispatchEvent(new Event('pagehide'));
    await vi.waitFor(() => expect(events().some((e) => e.type === 'engagement')).toBe(true));
    const engagement = events().find((e) => e.type === 'engagement');
    expect(engagement).toMatchObject({ clicks: 1, formStarts: 1, formSubmits: 1, scrollDepth: 1 });
    expect(typeof engagement?.activeMs).toBe('number');
    const everything = bodies.join('');
    expect(everything).not.toContain('secret-address');
    expect(everything).not.toContain('hunter2');
    stop();
  });
});
