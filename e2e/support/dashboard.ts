/**
 * A person on the dashboard, as the browser tests and the dashboard's benchmark drive it:
 * signing in with an emailed link, and creating a project through the API from the page.
 */
import type { Page } from 'playwright-core';
import { linkTokenFromMail } from '../../server/test/support/browser.js';
import type { ServerWithMail } from '../../server/test/support/server-with-mail.js';

/**
 * Opens the link of the next mail to `email` (its host is the public URL's, so the server's
 * own address is used) and signs in with it; waits until the dashboard is at `landing` (the
 * projects; an invitation's project).
 */
export async function openEmailedLink(
  env: ServerWithMail,
  page: Page,
  email: string,
  landing = '/',
): Promise<void> {
  const token = await linkTokenFromMail(env.mailbox, email);
  await page.goto(`${env.server.url}/auth/magic-link/verify?token=${token}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${env.server.url}${landing}`);
}

/** Signs `page` in on the dashboard's sign-in page as `email`; it ends on the projects. */
export async function signIn(env: ServerWithMail, page: Page, email: string): Promise<void> {
  await page.goto(`${env.server.url}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByText('Check your inbox').waitFor();
  await openEmailedLink(env, page, email);
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}

/** Creates a project as the person signed in on `page` (the API, with the CSRF token). */
export function createProject(
  page: Page,
  name: string,
): Promise<{ projectId: string; token: string }> {
  return page.evaluate(async (projectName) => {
    const csrf = decodeURIComponent(document.cookie.match(/vv_csrf=([^;]+)/)?.[1] ?? '');
    const response = await fetch('/api/projects', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ name: projectName }),
    });
    const body = (await response.json()) as { project: { id: string }; token: { token: string } };
    return { projectId: body.project.id, token: body.token.token };
  }, name);
}
