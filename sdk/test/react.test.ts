// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { createElement, StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseVariant, equalWeights, hashUnit } from '../src/core/index.js';
import { createVibariant, memoryStorage } from '../src/index.js';
import { useTrack, useVariant, VibariantProvider } from '../src/react/index.js';
import { recorder } from './support/recording-client.js';

beforeEach(() => {
  Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
  // happy-dom's own sendBeacon would really post when the window closes after the tests.
  Object.defineProperty(navigator, 'sendBeacon', { value: () => true, configurable: true });
});
afterEach(cleanup);

function Hero() {
  const variant = useVariant('hero', ['control', 'bold']);
  const track = useTrack();
  return createElement(
    'button',
    { type: 'button', onClick: () => track('signup') },
    `variant:${variant}`,
  );
}

describe('React bindings', () => {
  it('renders the variant at once, sends one exposure under StrictMode, and tracks', async () => {
    const { fetch, events } = recorder();
    const client = createVibariant({
      token: 'vv_proj_r',
      apiHost: 'https://ab.example',
      visitorId: 'visitor-7',
      storage: memoryStorage(),
      fetch,
      flushMs: 5,
    });
    const expected = ['control', 'bold'][
      chooseVariant(hashUnit('visitor-7', 'hero'), equalWeights(2))
    ];
    const view = render(
      createElement(
        StrictMode,
        null,
        createElement(VibariantProvider, { client, token: '', apiHost: '' }, createElement(Hero)),
      ),
    );
    expect(view.getByRole('button').textContent).toBe(`variant:${expected}`);
    await act(async () => {
      fireEvent.click(view.getByRole('button'));
      await client.flush();
    });
    expect(events().filter((e) => e.type === 'exposure')).toHaveLength(1);
    expect(
      events()
        .filter((e) => e.type === 'conversion')
        .map((e) => e.goal),
    ).toEqual(['signup']);
  });

  it('renders the same variant on the server for the same visitor (no hydration mismatch)', () => {
    const html = renderToString(
      createElement(
        VibariantProvider,
        {
          token: 'vv_proj_ssr',
          apiHost: 'https://ab.example',
          visitorId: 'visitor-9',
          storage: memoryStorage(),
          fetch: async () => new Response('{}', { status: 200 }),
        },
        createElement(Hero),
      ),
    );
    const expected = ['control', 'bold'][
      chooseVariant(hashUnit('visitor-9', 'hero'), equalWeights(2))
    ];
    expect(html).toContain(`variant:${expected}`);
  });

  it('starts tracking when the consent prop turns true', async () => {
    const { fetch, events } = recorder();
    const props = {
      token: 'vv_proj_consent',
      apiHost: 'https://ab.example',
      visitorId: 'visitor-c',
      storage: memoryStorage(),
      fetch,
      flushMs: 5,
    };
    const tree = (consent: boolean) =>
      createElement(VibariantProvider, { ...props, consent }, createElement(Hero));
    const view = render(tree(false));
    fireEvent.click(view.getByRole('button'));
    view.rerender(tree(true));
    await act(async () => {
      fireEvent.click(view.getByRole('button'));
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    // The exposure refused while consent was off goes out with consent, before the conversion.
    expect(events().map((e) => [e.type, e.goal])).toEqual([
      ['exposure', undefined],
      ['conversion', 'signup'],
    ]);
  });
});
