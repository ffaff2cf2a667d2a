/**
 * The main job, end to end in Debian's chromium: a person signs in through an emailed link
 * (a real SMTP exchange), creates a project, puts the SDK on a React landing page, and watches
 * the dashboard while 200 visitors come: the experiment appears by itself, the call to action
 * is detected as a goal and confirmed, the counts rise without a reload, and the ready-to-ship
 * notification arrives. Then two people on one experiment: presence and a shared goal change.
 * Screenshots of each step go to `e2e/artifacts/`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ServerWithMail,
  startServerWithMail,
} from '../../server/test/support/server-with-mail.js';
import { LANDING_DIST, landingPage, SDK_DIST } from '../support/build.js';
import { describeInBrowser, launchChromium } from '../support/chromium.js';
import { createProject, openEmailedLink, signIn } from '../support/dashboard.js';
import { type Site, startSite } from '../support/site.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const VISITORS = 200;
/** How often each variant's visitors click the call to action. */
const CLICK_RATE: Record<string, number> = { control: 0.05, bold: 0.6 };

let env: ServerWithMail;
let site: Site;
let browser: Browser;

describeInBrowser('the dashboard in chromium', () => {
  beforeAll(async () => {
    env = await startServerWithMail({ publicUrl: 'http://vibariant.test', now: Date.now });
    site = await startSite({ '/sdk/': SDK_DIST, '/landing/': LANDING_DIST });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await env?.close();
  });

  it('shows a new project’s first experiment live, from the first visitor to ready to ship', async () => {
    const shot = screenshots('main-job');
    const dashboard = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const setup = await signedIn(dashboard, 'ada@example.com');
    await shot(setup, 'signed-in');

    await setup.fill('#project-name', 'Landing page');
    await setup.getByRole('button', { name: 'Create project' }).click();
    await setup.waitForURL(/\/projects\/[^/]+\/setup$/);
    await poll(() => setup.getByTestId('project-token').textContent()).toMatch(
      /^vv_proj_[\w-]{8,}$/,
    );
    const token = (await setup.getByTestId('project-token').textContent()) as string;
    await poll(() => setup.getByTestId('first-event').textContent()).toContain('Waiting');
    await shot(setup, 'set-up-waiting');
    const projectUrl = setup.url().replace(/\/setup$/, '');

    const list = await dashboard.newPage();
    await list.goto(projectUrl);
    await list.getByText('No experiment yet').waitFor();
    site.page('/landing/', landingPage(token, env.server.url));

    // The first visitor: the set-up light turns green, the experiment appears in the list.
    await visit(0);
    await poll(() => setup.getByTestId('first-event').textContent()).toContain('arriving');
    await shot(setup, 'set-up-first-event');
    await list.locator('tr[data-experiment="hero"]').waitFor();
    await shot(list, 'experiment-appeared');

    // The experiment page, kept open from here on: nothing below reloads it.
    await list.getByRole('link', { name: 'hero' }).click();
    await list.getByRole('table', { name: 'Variants' }).waitFor();
    await list.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const visitorsShown = async () =>
      (await list.locator('[data-variant] [data-field="visitors"]').allTextContents())
        .map((t) => Number(t.replace(/,/g, '')))
        .reduce((a, b) => a + b, 0);
    const before = await visitorsShown();

    await visitors(1, 60);
    await poll(visitorsShown).toBeGreaterThanOrEqual(50);
    expect(before).toBeLessThan(await visitorsShown());

    // The call to action was found by goal detection; a person confirms it.
    const goal = list.locator('li[data-goal="click:#cta"]');
    await goal.waitFor();
    await poll(() => goal.getAttribute('data-status')).toBe('candidate');
    expect(await goal.textContent()).toContain('Start free trial');
    await shot(list, 'goal-detected');
    await list.getByRole('button', { name: 'Confirm goal Start free trial' }).click();
    await poll(() => goal.getAttribute('data-status')).toBe('confirmed');
    await poll(() => list.locator('.banner[data-status]').getAttribute('data-status')).not.toBe(
      'none',
    );
    await shot(list, 'goal-confirmed');

    // Toasts last a few seconds: every one shown is noted as it comes.
    await list.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { toasts: string[] }).toasts = seen;
      new MutationObserver(() => {
        for (const toast of document.querySelectorAll('.toast')) {
          if (!seen.includes(toast.textContent ?? '')) seen.push(toast.textContent ?? '');
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await visitors(60, VISITORS);
    await poll(() => list.locator('section.banner').getAttribute('data-status')).toBe(
      'ready_to_ship',
    );
    await poll(() =>
      list.evaluate(() => (window as unknown as { toasts: string[] }).toasts),
    ).toContainEqual(expect.stringContaining('hero: bold is ready to ship'));
    await poll(visitorsShown).toBe(VISITORS);
    expect(
      await list.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    await shot(list, 'ready-to-ship');
    // The inbox has it too.
    await list.getByRole('link', { name: /Notifications/ }).click();
    await list.locator('li[data-kind="ready_to_ship"]').waitFor();
    await shot(list, 'inbox');
    await dashboard.close();
  }, 300_000);

  it('shows who else is viewing, and a goal confirmed by one person to the other', async () => {
    const shot = screenshots('collaboration');
    const ada = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const adaPage = await signedIn(ada, 'ada.owner@example.com');
    const { projectId, token } = await createProject(adaPage, 'Pricing');
    await env.server.ingest(token, [
      {
        type: 'exposure',
        id: 'p1',
        visitorId: 'p1',
        experiment: 'pricing',
        variant: 'a',
        variants: ['a', 'b'],
      },
      { type: 'exposure', id: 'p2', visitorId: 'p2', experiment: 'pricing', variant: 'b' },
      {
        type: 'goal_candidate',
        id: 'p3',
        visitorId: 'p2',
        goal: 'click:#buy',
        kind: 'click',
        label: 'Buy now',
        selector: '#buy',
      },
    ]);

    // Ada invites Bo from the settings page; Bo signs in through the invitation.
    await adaPage.goto(`${env.server.url}/projects/${projectId}/settings`);
    await adaPage.fill('#invite-email', 'bo@example.com');
    await adaPage.getByRole('button', { name: 'Invite' }).click();
    await adaPage.getByText('bo@example.com invited as member').waitFor();
    const bo = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const boPage = await bo.newPage();
    await openEmailedLink(env, boPage, 'bo@example.com', `/projects/${projectId}`);
    await boPage.getByRole('heading', { name: 'Experiments' }).waitFor();

    const experimentUrl = `${env.server.url}/projects/${projectId}/experiments/pricing`;
    for (const page of [adaPage, boPage]) {
      await page.goto(experimentUrl);
      await page.getByRole('table', { name: 'Variants' }).waitFor();
    }
    await poll(() => adaPage.getByTestId('presence').textContent()).toContain('bo@example.com');
    await poll(() => boPage.getByTestId('presence').textContent()).toContain(
      'ada.owner@example.com',
    );
    await shot(adaPage, 'presence-ada');
    await shot(boPage, 'presence-bo');

    // Bo's connection drops and comes back: his page rejoins and keeps up.
    await bo.setOffline(true);
    await poll(() => boPage.locator('.dot.off').count()).toBe(1);
    await bo.setOffline(false);
    await poll(() => boPage.locator('.dot.on').count()).toBe(1);

    // A note that looks like HTML is shown as text, to both.
    const hostile = '<img src=x onerror="window.pwned=1">Looks <b>bold</b>';
    await adaPage.getByLabel('Add a note').fill(hostile);
    await adaPage.getByRole('button', { name: 'Add note' }).click();
    await boPage.locator('.note-body', { hasText: 'Looks <b>bold</b>' }).waitFor();
    expect(
      await boPage.evaluate(() => (window as unknown as { pwned?: number }).pwned),
    ).toBeUndefined();
    expect(await boPage.locator('.note-body img').count()).toBe(0);

    await adaPage.getByRole('button', { name: 'Confirm goal Buy now' }).click();
    await poll(() => boPage.locator('li[data-goal="click:#buy"]').getAttribute('data-status')).toBe(
      'confirmed',
    );
    await shot(boPage, 'goal-confirmed-by-ada');

    // Bo leaves: Ada sees it.
    await bo.close();
    await poll(() => adaPage.getByTestId('presence').textContent()).toContain('Only you');

    // Ada moves to another project: what happens in this one stays out of it.
    const other = (await createProject(adaPage, 'Other')).projectId;
    await adaPage.goto(`${env.server.url}/projects/${projectId}`);
    await adaPage.locator('tr[data-experiment="pricing"]').waitFor();
    await adaPage.getByRole('link', { name: 'Vibariant' }).click();
    await adaPage.getByRole('link', { name: 'Other' }).click();
    await adaPage.getByText('No experiment yet').waitFor();
    await env.server.ingest(token, [
      {
        type: 'exposure',
        id: 'p4',
        visitorId: 'p4',
        experiment: 'elsewhere',
        variant: 'a',
        variants: ['a', 'b'],
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await adaPage.locator('tr[data-experiment="elsewhere"]').count()).toBe(0);
    expect(adaPage.url()).toContain(other);
    await ada.close();
  });
});

/** `expect.poll` with the patience live updates over a network need (20 s). */
function poll<T>(probe: () => Promise<T> | T) {
  return expect.poll(probe, { timeout: 20_000, interval: 100 });
}

/** Saves full-page screenshots as `e2e/artifacts/<group>/NN-<name>.png`. */
function screenshots(group: string) {
  const dir = join(ARTIFACTS, group);
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return (page: Page, name: string) =>
    page.screenshot({
      path: join(dir, `${String(++n).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
}

/** A new page of `context`, signed in as `email`, on the projects. */
async function signedIn(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  await signIn(env, page, email);
  return page;
}

/** A number in [0, 1) fixed by `i`: which visitors click does not change between runs. */
function chance(i: number): number {
  let h = Math.imul(i + 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * One visitor in a browser of their own: the landing page, a click on the call to action as
 * often as their variant's rate says, then away (the page hides and the SDK's beacon goes).
 */
async function visit(i: number): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/landing/`);
  const main = page.locator('main[data-variant]');
  await main.waitFor();
  const variant = (await main.getAttribute('data-variant')) as string;
  if (chance(i) < (CLICK_RATE[variant] ?? 0)) await page.click('#cta');
  const visitorId = await page.evaluate(() => localStorage.getItem('vv:visitor') as string);
  await page.goto('about:blank');
  // A browser that quits at once may drop a beacon still in flight (a person's browser keeps
  // running): the visitor leaves once the server has their exposure.
  await poll(async () => {
    const rows = await env.server.db
      .knex('exposures')
      .where({ visitor_id: visitorId })
      .count({ n: '*' });
    return Number(rows[0]?.n);
  }).toBe(1);
  await context.close();
}

/** Visitors `from` to `to` (excluded), four at a time. */
async function visitors(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, to - i) }, (_, k) => visit(i + k)));
  }
}
