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
});
