// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { autotrack } from '../src/autotrack/index.js';
import { recordingClient } from './support/recording-client.js';

beforeEach(() => {
  Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
  Object.defineProperty(navigator, 'sendBeacon', { value: () => false, configurable: true });
  document.body.innerHTML = '';
  history.replaceState(null, '', '/');
});
afterEach(() => vi.restoreAllMocks());

describe('autotrack', () => {
  it('records page views: the first, pushState to a new path, and popstate', async () => {
    const { vb, events } = recordingClient();
    const stop = autotrack(vb);
    history.pushState(null, '', '/pricing?plan=pro');
    history.replaceState(null, '', '/pricing?plan=team#faq'); // same path: nothing
    history.pushState(null, '', '/checkout?email=someone%40example.com');
    window.dispatchEvent(new PopStateEvent('popstate'));
    await vb.flush();
    expect(
      events()
        .filter((e) => e.type === 'page_view')
        .map((e) => e.path),
    ).toEqual(['/', '/pricing', '/checkout']); // a query string can hold what someone typed
    stop();
    history.pushState(null, '', '/after-stop');
    await vb.flush();
    expect(events().some((e) => e.path === '/after-stop')).toBe(false);
  });

  it('sends engagement when the page hides: clicks, forms, scroll; never a field value', async () => {
    const { vb, bodies, events } = recordingClient();
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
    const everything = bodies().join('');
    expect(everything).not.toContain('secret-address');
    expect(everything).not.toContain('hunter2');
    stop();
  });
});
