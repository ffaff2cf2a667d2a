/**
 * The SDK's build in Debian's chromium, on a web site of its own origin, against a running
 * server: what a user's app does, checked at the server's database.
 */
import cases from '@vibariant/sdk/assignment-cases.json' with { type: 'json' };
import { isValidVisitorId } from '@vibariant/sdk/core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { LANDING_DIST, landingPage, SDK_DIST } from '../support/build.js';
import { describeInBrowser, launchChromium } from '../support/chromium.js';
import { eventually } from '../support/eventually.js';
import { type Site, startSite } from '../support/site.js';

type Sdk = typeof import('@vibariant/sdk') &
  typeof import('@vibariant/sdk/autotrack') &
  typeof import('@vibariant/sdk/goals');

declare global {
  interface Window {
    sdk: Sdk;
    vb: import('@vibariant/sdk').Vibariant;
  }
}

let server: TestServer;
let site: Site;
let browser: Browser;
let project: { projectId: string; token: string; apiKey: string };

/** A page of the user's site that loads the SDK's ES modules as `window.sdk`. */
const SDK_PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Shop</title></head><body>
<h1>Shop</h1>
<div id="content"></div>
<script type="module">
  const [client, autotrack, goals] = await Promise.all([
    import('/sdk/index.js'), import('/sdk/autotrack.js'), import('/sdk/goals.js'),
  ]);
  window.sdk = { ...client, ...autotrack, ...goals };
</script>
</body></html>`;

describeInBrowser('the SDK in chromium against the server', () => {
  beforeAll(async () => {
    server = await startTestServer({ now: Date.now });
    project = await server.createProject('Shop');
    site = await startSite({ '/sdk/': SDK_DIST, '/landing/': LANDING_DIST });
    site.page('/', SDK_PAGE);
    site.page('/thanks', SDK_PAGE);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });

  it('assigns every visitor as the server does, for the shared vectors and non-ASCII IDs', async () => {
    const { page, context } = await openPage();
    // The hash, byte for byte: the browser's UTF-8 of every vector, lone surrogates included.
    const units = await page.evaluate(
      ({ hash, lone }) => [
        ...hash.map((c) => window.sdk.hashUnit(c.visitorId, c.experimentKey)),
        ...lone.map((c) =>
          window.sdk.hashUnit(String.fromCharCode(...c.visitorIdCodeUnits), c.experimentKey),
        ),
      ],
      { hash: cases.hash, lone: cases.loneSurrogates },
    );
    expect(units).toEqual([...cases.hash, ...cases.loneSurrogates].map((c) => c.u));

    // Running experiments with the vectors' allocations; the browser reads them from /v1/config.
    const usable = cases.assignments.filter((c) => /^[\w.-]{1,64}$/.test(c.experimentKey));
    const weightsOf = new Map<string, number[]>();
    for (const c of usable)
      if (!weightsOf.has(c.experimentKey)) weightsOf.set(c.experimentKey, c.weights);
    for (const [key, weights] of weightsOf) {
      const variants = weights.map((_, i) => ({ key: `v${i}` }));
      const created = await api('POST', '/experiments', {
        key,
        name: key,
        variants,
        banditMode: 'off',
      });
      expect(created.status).toBe(201);
      const allocated = await api('PUT', `/experiments/${key}/allocation`, { weights });
      expect(allocated.status, JSON.stringify(allocated.body)).toBe(200);
      expect((await api('POST', `/experiments/${key}/start`, {})).status).toBe(200);
    }
    const visitors = [
      ...usable.filter((c) => weightsOf.get(c.experimentKey) === c.weights),
      // The hash vectors' visitors (non-ASCII among them) in the same experiments, but those
      // the server refuses: empty, too long, NUL or unpaired surrogates.
      ...cases.hash
        .filter(
          (c) =>
            weightsOf.has(c.experimentKey) &&
            isValidVisitorId(c.visitorId) &&
            c.visitorId.isWellFormed() &&
            !c.visitorId.includes('\0'),
        )
        .map((c) => ({ ...c, variant: undefined })),
      ...['Zoë', 'ユーザー-42', '👩‍💻 dev', 'ñandú', 'Ωmega\u00a07'].map((visitorId) => ({
        visitorId,
        experimentKey: usable[0]?.experimentKey as string,
        variant: undefined,
      })),
    ];
    expect(visitors.length).toBeGreaterThanOrEqual(20);
    for (const c of visitors) {
      const variants = (weightsOf.get(c.experimentKey) as number[]).map((_, i) => `v${i}`);
      const fromServer = await server.request('POST', '/v1/assign', {
        body: { visitorId: c.visitorId, experiments: [c.experimentKey] },
        headers: { authorization: `Bearer ${project.token}` },
      });
      expect(fromServer.status, JSON.stringify(fromServer.body)).toBe(200);
      const inBrowser = await page.evaluate(
        async ({ visitorId, key, variants, options }) => {
          const vb = window.sdk.createVibariant({
            ...options,
            visitorId,
            storage: window.sdk.memoryStorage(),
          });
          await vb.ready;
          return vb.getVariant(key, variants);
        },
        { visitorId: c.visitorId, key: c.experimentKey, variants, options: clientOptions() },
      );
      expect({ visitor: c.visitorId, variant: inBrowser }).toEqual({
        visitor: c.visitorId,
        variant: fromServer.body.assignments[0].variant,
      });
      if (c.variant !== undefined) expect(inBrowser).toBe(`v${c.variant}`);
    }
    await context.close();
  });

  it('delivers what is queued when the page is left (sendBeacon on page hide)', async () => {
    // Counts the beacons the page queues, where the next page of the site can read them.
    const countBeacons = () => {
      const send = navigator.sendBeacon.bind(navigator);
      navigator.sendBeacon = (url, data) => {
        const queued = send(url, data);
        localStorage.setItem('beacons', String(Number(localStorage.getItem('beacons')) + 1));
        return queued;
      };
    };
    const { page, context } = await openPage(countBeacons);
    const visitorId = await page.evaluate((options) => {
      window.vb = window.sdk.createVibariant({ ...options, flushMs: 600_000 });
      window.vb.getVariant('beacon-hero', ['control', 'bold']);
      window.vb.track('signup');
      return window.vb.visitorId;
    }, clientOptions());
    expect(await storedEvents(visitorId)).toEqual([]); // queued, not sent: the timer is 10 minutes
    await page.goto(`${site.url}/thanks`);
    const stored = await eventually(async () => {
      const rows = await storedEvents(visitorId);
      return rows.length === 2 ? rows : undefined;
    });
    expect(stored.map((e) => e.type).sort()).toEqual(['conversion', 'exposure']);
    expect(await page.evaluate(() => localStorage.getItem('beacons'))).toBe('1');
    expect(await eventually(() => totals('beacon-hero', 'signup', 1))).toEqual({
      visitors: 1,
      conversions: 1,
    });
    await context.close();
  });

  it('keeps events while offline and delivers each one once when back online', async () => {
    const { page, context, requests } = await openPage();
    const visitorId = await page.evaluate(async (options) => {
      window.vb = window.sdk.createVibariant({ ...options, flushMs: 50 });
      await window.vb.ready;
      return window.vb.visitorId;
    }, clientOptions());
    await context.setOffline(true);
    const queueKey = `vv:queue:${project.token}`;
    const ids = await page.evaluate(async (key) => {
      window.vb.getVariant('offline-hero', ['control', 'bold']);
      for (const goal of ['signup', 'signup', 'checkout']) window.vb.track(goal);
      await window.vb.flush(); // fails: offline
      return (JSON.parse(localStorage.getItem(key) ?? '[]') as { id: string }[]).map((e) => e.id);
    }, queueKey);
    expect(ids).toHaveLength(4);
    expect(await storedEvents(visitorId)).toEqual([]);
    await context.setOffline(false);
    // Back online: the retry sends them (its backoff is 1 to 2 s after the first failure).
    const stored = await eventually(async () => {
      const rows = await storedEvents(visitorId);
      return rows.length === 4 ? rows : undefined;
    });
    expect(stored.map((e) => e.event_id).sort()).toEqual([...ids].sort());
    // The next page load finds nothing left to send.
    await page.reload();
    await page.waitForFunction(() => window.sdk !== undefined);
    const left = await page.evaluate(
      async ({ options, key }) => {
        const vb = window.sdk.createVibariant(options);
        await vb.flush();
        return localStorage.getItem(key);
      },
      { options: clientOptions(), key: queueKey },
    );
    expect(left).toBe('[]');
    // Each event crossed the network in exactly one acknowledged request.
    const acknowledged = await acknowledgedEventIds(requests());
    expect(acknowledged.sort()).toEqual([...ids].sort());
    // Counted once per visitor and goal.
    expect(await eventually(() => totals('offline-hero', 'signup', 1))).toEqual({
      visitors: 1,
      conversions: 1,
    });
    await context.close();
  });

  it('works when storage throws: blocked, or out of quota', async () => {
    const blocked = () =>
      Object.defineProperty(window, 'localStorage', {
        get() {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      });
    const quota = () => {
      Storage.prototype.setItem = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    };
    for (const [name, breakStorage] of [
      ['blocked', blocked],
      ['quota', quota],
    ] as const) {
      const { page, context, errors } = await openPage(breakStorage);
      const { visitorId, variant } = await page.evaluate(async (options) => {
        const vb = window.sdk.createVibariant(options);
        const variant = vb.getVariant('storage-hero', ['control', 'bold']);
        vb.track('signup');
        await vb.flush();
        return { visitorId: vb.visitorId, variant };
      }, clientOptions());
      expect(['control', 'bold'], name).toContain(variant);
      const stored = await eventually(async () => {
        const rows = await storedEvents(visitorId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(stored.find((e) => e.type === 'exposure')?.payload.variant, name).toBe(variant);
      expect(errors, name).toEqual([]);
      await context.close();
    }
  });

  it('sends one exposure under React StrictMode, for the variant it rendered', async () => {
    // The React landing page example (sdk/examples/react-landing), under <StrictMode>.
    site.page('/landing/', landingPage(project.token, server.url));
    const { page, context, errors } = await openPage(undefined, '/landing/');
    await page.locator('#variant').waitFor();
    const shown = await page.locator('#variant').textContent();
    await page.click('#signup');
    const visitorId = await page.evaluate(() => localStorage.getItem('vv:visitor') as string);
    await page.goto(`${site.url}/thanks`); // page hide sends the queue
    const stored = await eventually(async () => {
      const rows = await storedEvents(visitorId);
      return rows.some((e) => e.type === 'conversion') ? rows : undefined;
    });
    const exposures = stored.filter((e) => e.type === 'exposure');
    expect(exposures).toHaveLength(1);
    expect(exposures[0]?.payload.variant).toBe(shown);
    expect(stored.filter((e) => e.type === 'conversion').map((e) => e.goal_key)).toEqual([
      'signup',
    ]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('never lets a field value leave the page', async () => {
    const secrets = {
      email: 'secret-email@example.com',
      name: 'secret-name-Zoë',
      password: 'secret-password-1',
      card: '4242424242424242',
      otp: '913377',
      note: 'secret-note-text',
      query: 'secret-search-query',
    };
    site.page(
      '/signup',
      SDK_PAGE.replace(
        '<div id="content"></div>',
        `<form id="signup" method="post" action="/thanks">
          <label>Email <input id="email" type="email" name="email"></label>
          <label>Name <input id="name" name="name"></label>
          <label>Password <input id="password" type="password" name="password"></label>
          <label>Card <input id="card" autocomplete="cc-number" name="card"></label>
          <label>Code <input id="otp" autocomplete="one-time-code" name="otp"></label>
          <label>Note <textarea id="note" name="note"></textarea></label>
          <button type="submit">Create account</button>
        </form>
        <form id="search" method="get" action="/thanks"><input id="query" name="q"></form>`,
      ),
    );
    const { page, context, requests } = await openPage(undefined, '/signup');
    const start = async () => {
      await page.waitForFunction(() => window.sdk !== undefined);
      return page.evaluate((options) => {
        window.vb = window.sdk.createVibariant(options);
        window.sdk.autotrack(window.vb);
        window.sdk.detectGoals(window.vb);
        window.vb.getVariant('private-hero', ['control', 'bold']);
        return window.vb.visitorId;
      }, clientOptions());
    };
    const visitorId = await start();
    for (const field of ['email', 'name', 'password', 'card', 'otp', 'note'] as const) {
      await page.fill(`#${field}`, secrets[field]);
    }
    await page.click('button[type=submit]'); // posts the form: the page hides, beacons go
    await page.waitForURL(`${site.url}/thanks`);
    await page.goto(`${site.url}/signup`);
    await start();
    await page.fill('#query', secrets.query);
    await page.press('#query', 'Enter'); // a GET form: the values are in the next page's URL
    await page.waitForURL(/\/thanks\?q=/);
    await start();
    await page.evaluate(() => window.vb.flush());

    const stored = await eventually(async () => {
      const rows = await storedEvents(visitorId);
      const engaged = rows.some((e) => e.type === 'engagement' && e.payload.formSubmits === 1);
      return engaged && rows.some((e) => e.type === 'goal_candidate') ? rows : undefined;
    });
    // What was tracked: the form was started and sent, and looked like a conversion.
    expect(
      stored.find((e) => e.type === 'engagement' && e.payload.formStarts)?.payload,
    ).toMatchObject({ formStarts: 1, formSubmits: 1 });
    expect(stored.find((e) => e.type === 'goal_candidate')?.payload).toMatchObject({
      goal: 'form:#signup',
      kind: 'form_submit',
    });
    expect(stored.filter((e) => e.type === 'page_view').map((e) => e.payload.path)).toEqual([
      '/signup',
      '/signup',
      '/thanks',
    ]);
    // What left: nothing typed, in any request body or URL, nor in the database.
    const sent = requests()
      .filter((r) => !r.url().startsWith(site.url))
      .map((r) => `${r.url()}\n${r.postData() ?? ''}`)
      .join('\n');
    expect(sent).toContain(visitorId);
    const everything = `${sent}\n${JSON.stringify(stored)}`;
    for (const [field, value] of Object.entries(secrets)) {
      expect(everything.includes(value), `${field} left the page`).toBe(false);
      expect(everything.includes(encodeURIComponent(value)), `${field} left the page`).toBe(false);
    }
    await context.close();
  });

  it('writes goal selectors that match their element, whatever the IDs and classes', async () => {
    const { page, context } = await openPage();
    const selectors = await page.evaluate(() => {
      document.body.innerHTML = `
        <div class="md:flex w-1/2"><button id="a" class="hover:bg-blue-500 [&>*]:p-2">Buy</button></div>
        <section id="1x"><a class="btn" href="/signup">Sign up</a></section>
        <div id='he said "hi"'><button>Go</button></div>
        <div class="${'x'.repeat(60)}"><div class="${'y'.repeat(60)}"><button class="z">Buy</button></div></div>
        <div class="md:grid"><button class="sm:px-4 text-lg/7">Start</button></div>
        <nav><button class="md:flex w-1/2">Subscribe</button><button class="md:flex w-1/2">Sign up</button></nav>`;
      return [...document.querySelectorAll('button, a')].map((element) => {
        const selector = window.sdk.selectorOf(element);
        const found = [...document.querySelectorAll(selector)];
        return { selector, matches: found.length === 1 && found[0] === element };
      });
    });
    expect(selectors).toHaveLength(7);
    // Two buttons alike: each selector names one of them alone.
    expect(new Set(selectors.map((s) => s.selector)).size).toBe(7);
    for (const { selector, matches } of selectors) {
      expect(selector.length, selector).toBeGreaterThan(0);
      expect(selector.length, selector).toBeLessThanOrEqual(120);
      expect(matches, selector).toBe(true);
    }
    expect(selectors.map((s) => s.selector)).toContain('#\\31 x > a.btn');
    await context.close();
  });

  it('turns a detected goal, once confirmed, into conversions on the next page view', async () => {
    site.page(
      '/pricing',
      SDK_PAGE.replace(
        '<div id="content"></div>',
        '<section id="plans"><button id="trial" type="button">Start free trial</button></section>',
      ),
    );
    const { page, context } = await openPage(undefined, '/pricing');
    const visit = async () => {
      await page.waitForFunction(() => window.sdk !== undefined);
      return page.evaluate(async (options) => {
        window.vb = window.sdk.createVibariant(options);
        window.sdk.detectGoals(window.vb);
        await window.vb.ready;
        window.vb.getVariant('trial-hero', ['control', 'bold']);
        (document.getElementById('trial') as HTMLElement).click();
        await window.vb.flush();
        return window.vb.visitorId;
      }, clientOptions());
    };
    const visitorId = await visit();
    const goal = 'click:#trial';
    const candidate = await eventually(async () => {
      const res = await api('GET', `/goals/${encodeURIComponent(goal)}`);
      return res.status === 200 ? res.body.goal : undefined;
    });
    expect(candidate).toMatchObject({ status: 'candidate', label: 'Start free trial' });
    expect((await api('POST', `/goals/${encodeURIComponent(goal)}/confirm`, {})).status).toBe(200);

    await page.reload();
    await visit(); // the refreshed configuration has the confirmed goal
    const conversions = await eventually(async () => {
      const rows = (await storedEvents(visitorId)).filter((e) => e.type === 'conversion');
      return rows.length === 1 ? rows : undefined;
    });
    expect(conversions[0]?.goal_key).toBe(goal);
    await context.close();
  });

  it('starts from one script tag served by the server, with auto-tracking and goals', async () => {
    site.page(
      '/tag',
      `<!doctype html><html><body>
      <a id="join" href="/signup">Sign up</a>
      <script src="${server.url}/vibariant.global.js" data-token="${project.token}"
        data-allow-bots="true"></script></body></html>`,
    );
    const { page, context } = await openPage(undefined, '/tag');
    const { visitorId, variant } = await page.evaluate(async () => {
      const vb = (window as unknown as { vibariant: Window['vb'] }).vibariant;
      const variant = vb.getVariant('tag-hero', ['control', 'bold']);
      (document.getElementById('join') as HTMLElement).addEventListener('click', (e) =>
        e.preventDefault(),
      );
      (document.getElementById('join') as HTMLElement).click();
      await vb.flush();
      return { visitorId: vb.visitorId, variant };
    });
    const stored = await eventually(async () => {
      const rows = await storedEvents(visitorId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(stored.map((e) => `${e.type} ${e.experiment_key ?? e.goal_key ?? ''}`).sort()).toEqual([
      'exposure tag-hero',
      'goal_candidate click:#join',
      'page_view ',
    ]);
    expect(stored.find((e) => e.type === 'exposure')?.payload.variant).toBe(variant);
    await context.close();
  });
});

/** Pages that start the SDK their own way. */
const PAGES_WITHOUT_SDK = ['/landing/', '/tag'];

/** The options every page's client gets: this project, this server, automation allowed. */
function clientOptions() {
  return { token: project.token, apiHost: server.url, allowBots: true };
}

/**
 * A new browser context (a new visitor) on `path` of the site (default `/`), once `window.sdk`
 * is loaded unless `path` is a page without it; `init` runs in the page before any of its
 * scripts. Records the page's requests and errors.
 */
async function openPage(
  init?: () => void,
  path = '/',
): Promise<{ page: Page; context: BrowserContext; requests: () => Request[]; errors: string[] }> {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const requests: Request[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.url + path);
  if (!PAGES_WITHOUT_SDK.includes(path)) await page.waitForFunction(() => window.sdk !== undefined);
  return { page, context, requests: () => requests, errors };
}

/** The project's API with its secret key: `path` is below `/api/projects/:id`. */
function api(method: string, path: string, body?: unknown) {
  return server.request(method, `/api/projects/${project.projectId}${path}`, {
    headers: { authorization: `Bearer ${project.apiKey}` },
    ...(body === undefined ? {} : { body }),
  });
}

/**
 * The experiment's visitors and conversions of `goal`, summed over its variants, once the
 * conversions reach `atLeast` (else undefined, for `eventually`).
 */
async function totals(key: string, goal: string, atLeast: number) {
  const res = await api('GET', `/experiments/${key}/results?goal=${encodeURIComponent(goal)}`);
  const variants: { visitors: number; conversions: number }[] = res.body.decision?.variants ?? [];
  const sum = {
    visitors: variants.reduce((n, v) => n + v.visitors, 0),
    conversions: variants.reduce((n, v) => n + v.conversions, 0),
  };
  return sum.conversions >= atLeast ? sum : undefined;
}

interface StoredEvent {
  event_id: string;
  type: string;
  experiment_key: string | null;
  goal_key: string | null;
  payload: Record<string, unknown>;
}

/** The events the server stored for a visitor, oldest first. */
async function storedEvents(visitorId: string): Promise<StoredEvent[]> {
  const rows = await server.db
    .knex('events')
    .where({ project_id: project.projectId, visitor_id: visitorId })
    .orderBy('occurred_at')
    .select('event_id', 'type', 'experiment_key', 'goal_key', 'payload');
  return rows.map((r) => ({
    ...r,
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
  }));
}

/** IDs of the events in requests to /v1/events that the server answered with 200. */
async function acknowledgedEventIds(requests: Request[]): Promise<string[]> {
  const ids: string[] = [];
  for (const request of requests) {
    if (!request.url().includes('/v1/events')) continue;
    const response = await request.response();
    if (response?.status() !== 200) continue;
    const body = JSON.parse(request.postData() ?? '{}') as { events?: { id: string }[] };
    ids.push(...(body.events ?? []).map((e) => e.id));
  }
  return ids;
}
