// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { detectGoals, score } from '../src/goals/index.js';
import { recordingClient } from './support/recording-client.js';

beforeEach(() => {
  Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
});

describe('goal detection', () => {
  it('scores conversion-looking elements, and not the rest', () => {
    document.body.innerHTML = `
      <a id="a1" href="/signup">Create account</a>
      <button id="b1">Start free trial</button>
      <form id="f1" action="/newsletter"><input type="email" name="email"><button type="submit">Go</button></form>
      <a id="a2" href="/blog">Read the blog</a>
      <button id="b2">Close</button>`;
    const s = (id: string) => score(document.getElementById(id) as Element);
    expect(s('a1')).toBeGreaterThanOrEqual(2);
    expect(s('b1')).toBeGreaterThanOrEqual(2);
    expect(s('f1')).toBeGreaterThanOrEqual(2);
    expect(s('a2')).toBe(0);
    expect(s('b2')).toBe(0);
  });

  it('reports each candidate once per visitor, and tracks marked goals on every use', async () => {
    const { vb, storage, events } = recordingClient();
    document.body.innerHTML = `
      <div id="hero"><button class="cta primary">Get started</button></div>
      <button id="close">Close</button>
      <a href="/pricing" data-vb-goal="pricing-click">See plans</a>
      <form id="news"><input type="email" name="email" value="private@example.com"><button type="submit">Subscribe</button></form>`;
    const stop = detectGoals(vb, storage);
    const click = (el: Element | null) =>
      el?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    click(document.querySelector('#hero button'));
    click(document.querySelector('#hero button'));
    click(document.getElementById('close'));
    click(document.querySelector('[data-vb-goal]'));
    click(document.querySelector('[data-vb-goal]'));
    document
      .getElementById('news')
      ?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vb.flush();
    const candidates = events().filter((e) => e.type === 'goal_candidate');
    expect(candidates).toEqual([
      expect.objectContaining({
        goal: 'click:#hero > button.cta.primary',
        kind: 'click',
        label: 'Get started',
      }),
      expect.objectContaining({ goal: 'form:#news', kind: 'form_submit', selector: '#news' }),
    ]);
    expect(
      events()
        .filter((e) => e.type === 'conversion')
        .map((e) => e.goal),
    ).toEqual(['pricing-click', 'pricing-click']);
    expect(JSON.stringify(events())).not.toContain('private@example.com');
    stop();

    // The next page view of the same visitor: already reported.
    const again = detectGoals(vb, storage);
    click(document.querySelector('#hero button'));
    await vb.flush();
    expect(events().filter((e) => e.type === 'goal_candidate')).toHaveLength(2);
    again();
  });

  it('turns confirmed goals into conversions: clicks, forms that were sent, pages', async () => {
    const config = {
      experiments: [],
      goals: ['click:#hero > button.cta', 'form:#news', 'page:/thank-you', 'click:###', 'signup'],
    };
    const { vb, storage, events } = recordingClient({}, (url) =>
      url.includes('/v1/config')
        ? Response.json(config, { headers: { etag: '"c1"' } })
        : new Response('{}', { status: 202 }),
    );
    history.replaceState(null, '', '/');
    document.body.innerHTML = `
      <div id="hero"><button class="cta"><span id="inner">Get started</span></button></div>
      <form id="news"><input type="email" name="email"><button type="submit">Subscribe</button></form>`;
    const stop = detectGoals(vb, storage);
    await vb.ready;
    expect(vb.goals).toEqual(config.goals);
    const conversions = () =>
      events()
        .filter((e) => e.type === 'conversion')
        .map((e) => e.goal);

    document.getElementById('inner')?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    document.getElementById('inner')?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    const form = document.getElementById('news') as HTMLFormElement;
    const prevent = (event: Event) => event.preventDefault();
    form.addEventListener('submit', prevent);
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    form.removeEventListener('submit', prevent);
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    history.pushState(null, '', '/thank-you');
    history.pushState(null, '', '/thank-you?again=1');
    history.pushState(null, '', '/');
    history.back();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await vb.flush();
    expect(conversions()).toEqual([
      'click:#hero > button.cta',
      'click:#hero > button.cta',
      'form:#news',
      'page:/thank-you',
      'page:/thank-you',
    ]);
    // Confirmed elements are goals already: no candidate for them.
    expect(events().filter((e) => e.type === 'goal_candidate')).toEqual([]);
    stop();
  });

  it('reports a thank-you page once as a candidate, and a cached confirmation converts at load', async () => {
    const { vb, storage, events } = recordingClient();
    history.replaceState(null, '', '/');
    const stop = detectGoals(vb, storage);
    history.pushState(null, '', '/order/success');
    history.pushState(null, '', '/');
    history.pushState(null, '', '/order/success');
    await vb.flush();
    expect(events().filter((e) => e.type === 'goal_candidate')).toEqual([
      expect.objectContaining({ goal: 'page:/order/success', kind: 'page_view' }),
    ]);
    stop();

    // The next page load, offline, with the goal confirmed in the cached configuration.
    storage.set(
      'vv:config:vv_proj_t',
      JSON.stringify({ etag: null, experiments: [], goals: ['page:/order/success'] }),
    );
    const offline = recordingClient({ storage }, () => Promise.reject(new TypeError('offline')));
    const stopAgain = detectGoals(offline.vb, storage);
    await offline.vb.ready;
    await offline.vb.flush();
    expect(offline.vb.goals).toEqual(['page:/order/success']);
    const queued = JSON.parse(storage.get('vv:queue:vv_proj_t') ?? '[]') as {
      type: string;
      goal?: string;
    }[];
    expect(queued.map((e) => [e.type, e.goal])).toEqual([['conversion', 'page:/order/success']]);
    stopAgain();
  });

  it('converts a marked form when sent only, ignores bad marks, and keeps one candidate per page kind', async () => {
    const { vb, storage, events } = recordingClient();
    history.replaceState(null, '', '/');
    document.body.innerHTML = `
      <form data-vb-goal="lead"><button type="button" id="details">Show details</button><button type="submit">Send</button></form>
      <button id="long" data-vb-goal="${'g'.repeat(200)}">Buy</button>`;
    const stop = detectGoals(vb, storage);
    document.getElementById('details')?.click();
    expect(() => document.getElementById('long')?.click()).not.toThrow();
    document
      .querySelector('form')
      ?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    history.pushState(null, '', '/orders/123/confirmation');
    history.pushState(null, '', '/orders/124/confirmation');
    history.pushState(null, '', '/orders/3f0c8f4e-8d5b-4c1e-9a57-2b1f0e6d7c90/confirmation');
    await vb.flush();
    expect(events().map((e) => [e.type, e.goal])).toEqual([
      ['conversion', 'lead'],
      ['goal_candidate', 'page:/orders/:id/confirmation'],
    ]);
    stop();
  });
});
