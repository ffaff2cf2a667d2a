// @vitest-environment happy-dom
/**
 * The browser client in happy-dom: assignment without waiting, stickiness, one exposure per
 * page view, the cached configuration, the event queue (batches, retries, persistence, beacon
 * on page hide), storage that throws, opt-out and automated browsers. The server is stood in
 * for by a recording `fetch`; the real server is the browser tests' business.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chooseVariant, equalWeights, hashUnit } from '../src/core/index.js';
import { createVibariant, memoryStorage } from '../src/index.js';
import { recorder } from './support/recording-client.js';

const ok = (body: unknown = { experiments: [] }, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status: 200, headers });

const options = { token: 'vv_proj_test', apiHost: 'https://ab.example/' };
/** Where the client keeps this project's unsent events. */
const QUEUE = 'vv:queue:vv_proj_test';

// happy-dom reports an automated browser; these tests play a person's browser unless told.
beforeEach(() => {
  Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
});

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
});

describe('createVibariant', () => {
  it('assigns at once with equal weights, as the server would, and sends one exposure per page view', async () => {
    const { fetch, events } = recorder();
    const storage = memoryStorage();
    const vb = createVibariant({ ...options, fetch, storage, visitorId: 'user-42', flushMs: 10 });
    const variant = vb.getVariant('hero', ['control', 'bold']);
    expect(variant).toBe(
      ['control', 'bold'][chooseVariant(hashUnit('user-42', 'hero'), equalWeights(2))],
    );
    expect(vb.getVariant('hero', ['control', 'bold'])).toBe(variant);
    await vb.flush();
    expect(events()).toEqual([
      expect.objectContaining({
        type: 'exposure',
        visitorId: 'user-42',
        experiment: 'hero',
        variant,
        variants: ['control', 'bold'],
      }),
    ]);

    // The next page view: the same variant, and one more exposure.
    const next = createVibariant({ ...options, fetch, storage, flushMs: 10 });
    expect(next.visitorId).toBe('user-42');
    expect(next.getVariant('hero', ['control', 'bold'])).toBe(variant);
    await next.flush();
    expect(events().filter((e) => e.type === 'exposure')).toHaveLength(2);
    expect(() => vb.getVariant('solo', ['only'])).toThrow(TypeError);
  });

  it('follows the cached allocation, keeps a visitor on their first variant, and works offline', async () => {
    const storage = memoryStorage();
    const config = {
      experiments: [
        { key: 'pricing', variants: ['a', 'b'], weights: [0, 1], allocationVersion: 3 },
      ],
    };
    const online = recorder((url) =>
      url.includes('/v1/config') ? ok(config, { etag: '"v3"' }) : ok(),
    );
    const first = createVibariant({ ...options, fetch: online.fetch, storage, flushMs: 10 });
    await first.ready;
    expect(first.getVariant('pricing', ['a', 'b'])).toBe('b');
    await first.flush();
    expect(online.events()[0]).toMatchObject({
      experiment: 'pricing',
      variant: 'b',
      allocationVersion: 3,
    });
    // Declared arms other than the configuration's: equal weights, which version 0 says.
    expect(first.getVariant('pricing-v2', ['a', 'b', 'c'])).toMatch(/^[abc]$/);
    await first.flush();
    expect(online.events()[1]).toMatchObject({ experiment: 'pricing-v2', allocationVersion: 0 });

    // The allocation moves to a: this visitor stays on b. The cache is revalidated by ETag.
    const moved = recorder((url, init) => {
      if (url.includes('/v1/config')) {
        expect(new Headers(init?.headers).get('if-none-match')).toBe('"v3"');
        return new Response(null, { status: 304 });
      }
      return ok();
    });
    const second = createVibariant({ ...options, fetch: moved.fetch, storage });
    await second.ready;
    expect(second.getVariant('pricing', ['a', 'b'])).toBe('b');

    // Offline, a new visitor still follows the cached weights.
    const offline = recorder(() => Promise.reject(new TypeError('Failed to fetch')));
    const other = createVibariant({ ...options, fetch: offline.fetch, storage: memoryStorage() });
    await other.ready;
    const cached = createVibariant({
      ...options,
      fetch: offline.fetch,
      storage,
      visitorId: 'newcomer',
    });
    await cached.ready;
    expect(cached.getVariant('pricing', ['a', 'b'])).toBe('b');
    expect(other.getVariant('pricing', ['a', 'b'])).toMatch(/^[ab]$/);
  });

  it('sends by batch size and by delay, as text/plain with the token in the URL', async () => {
    const { fetch, sent, events } = recorder();
    const vb = createVibariant({
      ...options,
      fetch,
      storage: memoryStorage(),
      batchSize: 3,
      flushMs: 60_000,
    });
    vb.track('signup');
    vb.track('signup');
    expect(sent.filter((s) => s.url.includes('/v1/events'))).toHaveLength(0);
    vb.track('buy', { experiment: 'hero' });
    await vi.waitFor(() => expect(events()).toHaveLength(3));
    const post = sent.find((s) => s.url.includes('/v1/events'));
    expect(post?.url).toBe('https://ab.example/v1/events?token=vv_proj_test');
    expect(post?.init?.keepalive).toBe(true);
    expect(new Headers(post?.init?.headers).get('content-type')).toBe('text/plain');
    const body = JSON.parse(String(post?.init?.body));
    expect(typeof body.sentAt).toBe('number');
    expect(body.events[2]).toMatchObject({ type: 'conversion', goal: 'buy', experiment: 'hero' });
    expect(new Set(body.events.map((e: { id: string }) => e.id)).size).toBe(3);

    const timed = createVibariant({ ...options, fetch, storage: memoryStorage(), flushMs: 20 });
    timed.track('later');
    await vi.waitFor(() =>
      expect(events().some((e) => (e as { goal?: string }).goal === 'later')).toBe(true),
    );
  });

  it('retries after 503 and 429 honouring Retry-After, and keeps unsent events for the next page view', async () => {
    let calls = 0;
    const flaky = recorder((url) => {
      if (!url.includes('/v1/events')) return ok();
      calls++;
      if (calls === 1) return new Response('busy', { status: 503 });
      if (calls === 2)
        return new Response('slow down', { status: 429, headers: { 'retry-after': '1' } });
      return ok({ accepted: 1 });
    });
    const vb = createVibariant({
      ...options,
      fetch: flaky.fetch,
      storage: memoryStorage(),
      flushMs: 10,
    });
    vb.track('signup');
    await vi.waitFor(() => expect(calls).toBe(3), { timeout: 5_000 });
    const ids = flaky.events().map((e) => (e as unknown as { id: string }).id);
    expect(new Set(ids).size).toBe(1); // the same event each time: the server stores it once

    // Offline: events wait in storage; the next page view sends them.
    const storage = memoryStorage();
    const offline = recorder(() => Promise.reject(new TypeError('Failed to fetch')));
    const page1 = createVibariant({ ...options, fetch: offline.fetch, storage, flushMs: 10 });
    page1.track('offline-goal');
    await page1.flush();
    const back = recorder();
    const page2 = createVibariant({ ...options, fetch: back.fetch, storage, flushMs: 10 });
    await vi.waitFor(() =>
      expect(back.events()).toEqual([expect.objectContaining({ goal: 'offline-goal' })]),
    );
    await page2.flush();
    expect(storage.get(QUEUE)).toBe('[]');
  });

  it('hands the queue to sendBeacon once when the page hides, keeping it until a fetch is acknowledged', async () => {
    const beacons: { url: string; body: string }[] = [];
    let accept = true;
    const sendBeacon = vi.fn((url: string, data: Blob) => {
      void data.text().then((body) => beacons.push({ url, body }));
      return accept;
    });
    Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true });
    const { fetch, events } = recorder();
    const storage = memoryStorage();
    const vb = createVibariant({ ...options, fetch, storage, flushMs: 60_000 });
    vb.track('before-leaving');
    window.dispatchEvent(new Event('pagehide'));
    // Hidden, then gone: the second signal does not send the same events again.
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    // (Clients of the earlier tests, in this same window, hand over what they still hold.)
    const ours = () => beacons.filter((b) => b.body.includes('before-leaving'));
    await vi.waitFor(() => expect(ours()).toHaveLength(1));
    expect(ours()[0]?.url).toBe('https://ab.example/v1/events?token=vv_proj_test');
    expect(JSON.parse(ours()[0]?.body ?? '{}').events[0]).toMatchObject({
      goal: 'before-leaving',
    });
    // A beacon's fate is unknown (offline, a 503): kept until a fetch is acknowledged.
    expect(storage.get(QUEUE)).toContain('before-leaving');
    await vb.flush();
    expect(events()).toEqual([expect.objectContaining({ goal: 'before-leaving' })]);
    expect(storage.get(QUEUE)).toBe('[]');

    // Refused: fetch keepalive at once, and stored until the server acknowledges it.
    accept = false;
    vb.track('refused-beacon');
    window.dispatchEvent(new Event('pagehide'));
    expect(storage.get(QUEUE)).toContain('refused-beacon');
    await vi.waitFor(() => expect(events()).toHaveLength(2));
    expect(events()[1]).toMatchObject({ goal: 'refused-beacon' });
    await vi.waitFor(() => expect(storage.get(QUEUE)).toBe('[]'));

    // Offline: no beacon at all (it would be lost); the events wait.
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    vb.track('offline-hide');
    const before = sendBeacon.mock.calls.length;
    window.dispatchEvent(new Event('pagehide'));
    expect(sendBeacon.mock.calls.length).toBe(before);
    expect(storage.get(QUEUE)).toContain('offline-hide');
    Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
  });

  it('waits out a retry however many events arrive, and never mixes projects or loses another tab', async () => {
    let posts = 0;
    const busy = recorder((url) => {
      if (!url.includes('/v1/events')) return ok();
      posts++;
      return new Response('busy', { status: 503, headers: { 'retry-after': '60' } });
    });
    const storage = memoryStorage();
    const vb = createVibariant({ ...options, fetch: busy.fetch, storage, batchSize: 20 });
    for (let i = 0; i < 20; i++) vb.track(`goal-${i}`);
    await vi.waitFor(() => expect(posts).toBe(1));
    for (let i = 0; i < 30; i++) vb.track(`more-${i}`); // past the batch size, during the wait
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(posts).toBe(1);

    // Another project's client on the same storage sends only its own events.
    const other = recorder();
    const b = createVibariant({ ...options, token: 'vv_proj_other', fetch: other.fetch, storage });
    b.track('b-goal');
    await b.flush();
    expect(other.events().map((e) => e.goal)).toEqual(['b-goal']);

    // Two tabs of one project, the server down: each one's unsent events stay stored, and
    // once it is back the tab still open sends those of the tab that was closed.
    let up = false;
    const flaky = recorder(() => (up ? ok() : Promise.reject(new TypeError('offline'))));
    const shared = memoryStorage();
    const tab = () =>
      createVibariant({ ...options, fetch: flaky.fetch, storage: shared, flushMs: 60_000 });
    const tabA = tab();
    const tabB = tab();
    tabA.track('from-a');
    tabB.track('from-b');
    expect(shared.get(QUEUE)).toContain('from-a');
    expect(shared.get(QUEUE)).toContain('from-b');
    up = true; // tab A is gone
    await tabB.flush();
    expect(
      flaky
        .events()
        .map((e) => e.goal)
        .sort(),
    ).toEqual(['from-a', 'from-b']);
    expect(shared.get(QUEUE)).toBe('[]');
  });

  it('exposes again under a new identity or after consent, and survives damaged storage', async () => {
    const { fetch, events } = recorder();
    const storage = memoryStorage();
    const vb = createVibariant({ ...options, fetch, storage, consent: false });
    const variant = vb.getVariant('hero', ['a', 'b']);
    vb.optIn(); // the exposure refused without consent goes now
    vb.identify('user-7'); // and again under the user's ID, without another getVariant
    vb.track('purchase');
    await vb.flush();
    expect(events().map((e) => [e.type, e.visitorId === 'user-7', e.variant])).toEqual([
      ['exposure', false, variant],
      ['exposure', true, variant],
      ['conversion', true, undefined],
    ]);
    expect(vb.getVariant('hero', ['a', 'b'])).toBe(variant); // the user keeps the variant

    // Another project on the same site sees neither this project's user nor its opt-out.
    vb.optOut();
    const other = recorder();
    const b = createVibariant({ ...options, token: 'vv_proj_b', fetch: other.fetch, storage });
    expect(b.visitorId).not.toBe('user-7');
    b.track('b-goal');
    await b.flush();
    expect(other.events()).toHaveLength(1);
    // Text the server would drop is refused at once.
    for (const call of [
      () => b.track('sign\nup'),
      () => b.track('x\ud800'),
      () => b.identify('user\u0000x'),
    ]) {
      expect(call).toThrow(/^Vibariant: /);
    }

    // What another version or a person left in storage does not break the page.
    for (const [key, value] of [
      ['vv:visitor', ''],
      ['vv:config:vv_proj_test', 'null'],
      ['vv:config:vv_proj_test', '{"experiments":null,"goals":7}'],
      [
        'vv:config:vv_proj_test',
        '{"experiments":[null,{"key":"hero"},{"key":"hero","variants":["a","b"],"weights":null}],"goals":[1]}',
      ],
      [QUEUE, '{}'],
      [QUEUE, '[null,{"id":3}]'],
      ['vv:assignments:vv_proj_test:v1', '{"hero":"a"}'],
    ]) {
      const storage = memoryStorage();
      storage.set(key as string, value as string);
      const again = recorder();
      const client = createVibariant({ ...options, fetch: again.fetch, storage });
      await client.ready;
      expect(client.getVariant('hero', ['a', 'b'])).toMatch(/^[ab]$/);
      expect(client.goals).toEqual([]);
      client.track('ok');
      await client.flush();
      expect(again.events().map((e) => e.type)).toEqual(['exposure', 'conversion']);
    }

    // An event that cannot be sent is refused alone; the client goes on.
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => b.capture('page_view', { path: cycle })).toThrow(/^Vibariant: /);
    expect(() => b.capture('page_view', { path: 'x'.repeat(30_000) })).toThrow(/^Vibariant: /);
    b.track('still-working');
    await b.flush();
    expect(other.events().at(-1)).toMatchObject({ goal: 'still-working' });
  });

  it('works when storage throws, and sends nothing after opting out or in an automated browser', async () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('QuotaExceededError');
    });
    const { fetch, events } = recorder();
    const vb = createVibariant({ ...options, fetch, flushMs: 10 });
    expect(vb.getVariant('hero', ['a', 'b'])).toMatch(/^[ab]$/);
    await vb.flush();
    expect(events()).toHaveLength(1);
    vi.restoreAllMocks();

    const quiet = recorder();
    const out = createVibariant({
      ...options,
      fetch: quiet.fetch,
      storage: memoryStorage(),
      flushMs: 10,
    });
    out.optOut();
    out.getVariant('hero', ['a', 'b']);
    out.track('signup');
    await out.flush();
    expect(quiet.events()).toEqual([]);

    Object.defineProperty(navigator, 'webdriver', { value: true, configurable: true });
    const robot = createVibariant({
      ...options,
      fetch: quiet.fetch,
      storage: memoryStorage(),
      flushMs: 10,
    });
    robot.track('signup');
    await robot.flush();
    expect(quiet.events()).toEqual([]);
    const allowed = createVibariant({
      ...options,
      fetch: quiet.fetch,
      storage: memoryStorage(),
      allowBots: true,
      flushMs: 10,
    });
    allowed.track('signup');
    await allowed.flush();
    expect(quiet.events()).toHaveLength(1);
    Object.defineProperty(navigator, 'webdriver', { value: false, configurable: true });
  });

  it('refuses at once what the server would drop quietly', () => {
    const { fetch } = recorder();
    const vb = createVibariant({ ...options, fetch, storage: memoryStorage() });
    for (const call of [
      () => vb.getVariant('with space', ['a', 'b']),
      () => vb.getVariant('x'.repeat(65), ['a', 'b']),
      () => vb.getVariant('hero', ['a', 'a']),
      () => vb.getVariant('hero', ['a', '']),
      () => vb.getVariant('hero', ['a', 'b'.repeat(65)]),
      () => vb.track(''),
      () => vb.track('g'.repeat(129)),
      () => vb.identify('u'.repeat(201)),
      () => vb.getVariant('hero', {} as unknown as string[]),
      () => vb.getVariant('hero', 'ab' as unknown as string[]),
      () => createVibariant({ ...options, fetch, visitorId: 'v'.repeat(201) }),
      () =>
        createVibariant({ token: 'vv_proj_x', fetch } as unknown as Parameters<
          typeof createVibariant
        >[0]),
    ]) {
      expect(call).toThrow(/^Vibariant: /);
    }
    expect(vb.getVariant('héro-ok'.replace('é', 'e'), ['a', 'b'])).toMatch(/^[ab]$/);
    // A huge argument does not make a huge message.
    expect(() => vb.getVariant('x'.repeat(100_000), ['a', 'b'])).toThrow(/^.{0,100}$/);
  });

  it('keeps the visitor, ID, type and time of a captured event its own', async () => {
    const { fetch, events } = recorder();
    const vb = createVibariant({ ...options, fetch, storage: memoryStorage(), visitorId: 'me' });
    vb.capture('page_view', { path: '/', type: 'conversion', visitorId: 'someone', id: 'fixed' });
    await vb.flush();
    expect(events()).toEqual([
      expect.objectContaining({ type: 'page_view', visitorId: 'me', path: '/' }),
    ]);
    expect(events()[0]?.id).not.toBe('fixed');
  });

  it('keeps events after a wrong token or host (401, 404), and drops a body the server refuses (400)', async () => {
    let status = 401;
    const server = recorder((url) =>
      url.includes('/v1/events') ? new Response('{}', { status }) : ok(),
    );
    const storage = memoryStorage();
    const vb = createVibariant({ ...options, fetch: server.fetch, storage, flushMs: 60_000 });
    vb.track('kept');
    await vb.flush();
    expect(storage.get(QUEUE)).toContain('kept');
    status = 404;
    await vb.flush();
    expect(storage.get(QUEUE)).toContain('kept');
    status = 400; // dropped: it would be refused again
    await vb.flush();
    expect(storage.get(QUEUE)).toBe('[]');
  });
});
