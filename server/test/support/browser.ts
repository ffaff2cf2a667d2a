import { expect } from 'vitest';
import { CookieJar, type SetCookie } from './cookie-jar.js';
import type { Mailbox } from './mailbox.js';
import { BROWSER_USER_AGENT } from './test-server.js';

/** A response as a test reads it. */
export interface BrowserResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly setCookies: SetCookie[];
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  readonly body: any;
}

/**
 * A browser for the dashboard's API: a cookie jar, redirects not followed, and the CSRF token
 * echoed from its cookie on state changes (unless `csrf: false`).
 */
export class Browser {
  readonly jar = new CookieJar();

  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async fetch(
    method: string,
    path: string,
    options: { json?: unknown; form?: Record<string, string>; csrf?: boolean } = {},
  ): Promise<BrowserResponse> {
    const headers: Record<string, string> = { 'user-agent': BROWSER_USER_AGENT, ...this.headers };
    const cookie = this.jar.header(path);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const csrf = this.jar.get('vv_csrf');
    if (options.csrf !== false && csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body ?? null,
      redirect: 'manual',
    });
    const setCookies = this.jar.store(response.headers);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // HTML or empty
    }
    return { status: response.status, headers: response.headers, setCookies, body: parsed };
  }
}

/** The token of the sign-in link in the next email to `email`. */
export async function linkTokenFromMail(mailbox: Mailbox, email: string): Promise<string> {
  const mail = await mailbox.next(email);
  const match = /\/auth\/magic-link\/verify\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  expect(match, mail.text).not.toBeNull();
  return match?.[1] as string;
}

/** Asks for a sign-in link as `browser` and returns the token the email carries. */
export async function requestLink(
  browser: Browser,
  mailbox: Mailbox,
  email: string,
): Promise<string> {
  const asked = await browser.fetch('POST', '/auth/magic-link', { json: { email } });
  expect(asked.status).toBe(202);
  return linkTokenFromMail(mailbox, email);
}

/** A new browser signed in as `email` through an emailed link. */
export async function signedIn(
  baseUrl: string,
  mailbox: Mailbox,
  email: string,
  headers: Record<string, string> = {},
): Promise<Browser> {
  const browser = new Browser(baseUrl, headers);
  const token = await requestLink(browser, mailbox, email);
  const verified = await browser.fetch('POST', '/auth/magic-link/verify', { json: { token } });
  expect(verified.status).toBe(200);
  return browser;
}
