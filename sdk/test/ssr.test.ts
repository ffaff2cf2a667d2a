// @vitest-environment node
import { describe, expect, it } from 'vitest';

describe('the SDK on a server (SSR)', () => {
  it('imports and assigns without touching browser globals', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const { createVibariant, memoryStorage } = await import('../src/index.js');
    const vb = createVibariant({
      token: 'vv_proj_x',
      apiHost: 'https://ab.example',
      visitorId: 'user-1',
      storage: memoryStorage(),
      fetch: async () => new Response('{}', { status: 200 }),
    });
    expect(['a', 'b']).toContain(vb.getVariant('hero', ['a', 'b']));
    await vb.ready;
  });

  it('fetches no configuration while rendering pages, unless given a fetch', async () => {
    const { createVibariant } = await import('../src/index.js');
    const calls: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      calls.push(url);
      return new Response('{}');
    }) as typeof fetch;
    try {
      for (let i = 0; i < 3; i++) {
        await createVibariant({ token: 'vv_proj_x', apiHost: 'https://ab', visitorId: `v${i}` })
          .ready;
      }
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toEqual([]);
  });
});
