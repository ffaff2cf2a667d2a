/**
 * Signing in by email link over a real SMTP exchange, sessions in cookies (access JWT, rotating
 * refresh token, CSRF token), and the management API reached with a session.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, requestLink as requestLinkBy, signedIn } from './support/browser.js';
import { type FakeAccount, type FakeGitHub, startFakeGitHub } from './support/fake-github.js';
import type { Mailbox } from './support/mailbox.js';
import { type ServerWithMail, startServerWithMail } from './support/server-with-mail.js';
import type { TestServer } from './support/test-server.js';

const PUBLIC_URL = 'https://vibariant.example.com';

let server: TestServer;
let mailbox: Mailbox;
let github: FakeGitHub;
let running: ServerWithMail | undefined;
/** Everything the server logged, as JSON lines. */
const logged: string[] = [];

beforeAll(async () => {
  github = await startFakeGitHub();
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  );
  running = await startServerWithMail({
    publicUrl: PUBLIC_URL,
    github: github.settings,
    logger,
    trustProxy: 1,
  });
  ({ server, mailbox } = running);
});

afterAll(async () => {
  await running?.close();
  await github?.close();
});

/** A browser on the test server. */
const newBrowser = (headers: Record<string, string> = {}) => new Browser(server.url, headers);

/** Asks for a link and returns the token the email carries (checking the link's origin). */
async function requestLink(browser: Browser, email: string): Promise<string> {
  const token = await requestLinkBy(browser, mailbox, email);
  const mail = mailbox.messages.filter((m) => m.to.includes(email)).at(-1);
  expect(mail?.text).toContain(`${PUBLIC_URL}/auth/magic-link/verify?token=${token}`);
  return token;
}

/** Signs in through an emailed link. */
const signIn = (email: string, headers: Record<string, string> = {}) =>
  signedIn(server.url, mailbox, email, headers);

describe('sign-in by email link', () => {
  it('sends a link over SMTP; using it signs in with HttpOnly, SameSite=Lax cookies', async () => {
    const browser = newBrowser();
    const token = await requestLink(browser, 'ada@example.com');
    const mail = mailbox.messages.find((m) => m.to.includes('ada@example.com'));
    expect(mail?.from).toBe('no-reply@vibariant.example.com');
    expect(mail?.subject).toBe('Your Vibariant sign-in link');

    // The link opens a page whose button uses it (mail scanners that fetch links do not).
    const page = await browser.fetch('GET', `/auth/magic-link/verify?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain(`name="token" value="${token}"`);
    expect(page.setCookies).toEqual([]);

    const verified = await browser.fetch('POST', '/auth/magic-link/verify', { form: { token } });
    expect(verified.status).toBe(303);
    expect(verified.headers.get('location')).toBe('/');
    const cookies = Object.fromEntries(verified.setCookies.map((c) => [c.name, c]));
    expect(Object.keys(cookies).sort()).toEqual(['vv_access', 'vv_csrf', 'vv_refresh']);
    expect(cookies.vv_access?.attributes).toMatchObject({
      httponly: '',
      samesite: 'Lax',
      path: '/',
    });
    expect(cookies.vv_refresh?.attributes).toMatchObject({
      httponly: '',
      samesite: 'Lax',
      path: '/auth',
    });
    expect(cookies.vv_csrf?.attributes).toMatchObject({ samesite: 'Lax', path: '/' });
    expect(cookies.vv_csrf?.attributes).not.toHaveProperty('httponly');
    // Plain HTTP: no Secure flag (the browser would drop the cookies).
    for (const cookie of verified.setCookies)
      expect(cookie.attributes).not.toHaveProperty('secure');

    const me = await browser.fetch('GET', '/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe('ada@example.com');
    expect(me.body.memberships).toEqual([]);
    expect(me.body.csrfToken).toBe(browser.jar.get('vv_csrf'));
  });

  it('refuses the sign-in form posted from another site', async () => {
    const browser = newBrowser();
    const token = await requestLink(browser, 'csrf-login@example.com');
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await fetch(`${server.url}/auth/magic-link/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // From the server's own page the link still works (it was not used up).
    const own = new URL(server.url).host;
    const ok = await fetch(`${server.url}/auth/magic-link/verify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: `http://${own}`,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    expect(ok.status).toBe(303);
  });

  it('asks browsers to stay on HTTPS when the public URL is https', async () => {
    const res = await fetch(`${server.url}/auth/providers`);
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('marks cookies Secure when the request came over HTTPS through a trusted proxy', async () => {
    const browser = await signIn('grace@example.com', { 'x-forwarded-proto': 'https' });
    const refreshed = await browser.fetch('POST', '/auth/refresh');
    expect(refreshed.status).toBe(200);
    expect(refreshed.setCookies).toHaveLength(3);
    for (const cookie of refreshed.setCookies) expect(cookie.attributes).toHaveProperty('secure');
  });

  it('answers the same for a known and an unknown address, and names a bad one', async () => {
    await signIn('known@example.com');
    const browser = newBrowser();
    const known = await browser.fetch('POST', '/auth/magic-link', {
      json: { email: 'known@example.com' },
    });
    const unknown = await browser.fetch('POST', '/auth/magic-link', {
      json: { email: 'nobody-yet@example.com' },
    });
    expect([known.status, known.body]).toEqual([unknown.status, unknown.body]);
    expect(known.status).toBe(202);
    await mailbox.next('known@example.com');
    await mailbox.next('nobody-yet@example.com');

    for (const body of [
      {},
      { email: 'not an address' },
      { email: 42 },
      { email: `${'a'.repeat(250)}@x.io` },
    ]) {
      const bad = await browser.fetch('POST', '/auth/magic-link', { json: body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('email');
    }
  });

  it('uses a link once, refuses it after 15 minutes, and refuses a tampered one', async () => {
    const browser = newBrowser();
    const token = await requestLink(browser, 'once@example.com');
    expect(
      (await browser.fetch('POST', '/auth/magic-link/verify', { json: { token } })).status,
    ).toBe(200);
    const again = await newBrowser().fetch('POST', '/auth/magic-link/verify', { json: { token } });
    expect(again.status).toBe(401);
    expect(again.body.error.details.field).toBe('token');
    expect(again.setCookies).toEqual([]);

    const late = await requestLink(browser, 'late@example.com');
    server.clock.advance(15 * 60_000);
    expect(
      (await newBrowser().fetch('POST', '/auth/magic-link/verify', { json: { token: late } }))
        .status,
    ).toBe(401);

    const fresh = await requestLink(browser, 'tamper@example.com');
    const flipped = fresh.at(-1) === 'A' ? 'B' : 'A';
    for (const tampered of [
      fresh.slice(0, -1) + flipped,
      `${fresh}x`,
      fresh.slice(1),
      '',
      'x'.repeat(5000),
    ]) {
      const res = await newBrowser().fetch('POST', '/auth/magic-link/verify', {
        json: { token: tampered },
      });
      expect(res.status).toBe(401);
    }
    // The untouched link still works: the failures did not use it up.
    expect(
      (await newBrowser().fetch('POST', '/auth/magic-link/verify', { json: { token: fresh } }))
        .status,
    ).toBe(200);
  });
});

/**
 * Signs in with GitHub as a browser would: our redirect to GitHub, GitHub's redirect back (the
 * public URL standing for the test server), and the callback. Returns the callback's response.
 */
async function signInWithGitHub(browser: Browser, account: FakeAccount) {
  github.signInAs(account);
  const start = await browser.fetch('GET', '/auth/github');
  expect(start.status).toBe(302);
  const atGitHub = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
  expect(atGitHub.status).toBe(302);
  const back = new URL(atGitHub.headers.get('location') as string);
  expect(back.origin).toBe(PUBLIC_URL);
  return browser.fetch('GET', back.pathname + back.search);
}

const octocat: FakeAccount = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octo-old@example.com', primary: false, verified: true },
    { email: 'Octocat@Example.com', primary: true, verified: true },
  ],
};

describe('sign-in with GitHub', () => {
  it('runs the code flow with state and PKCE, and signs in by the primary verified email', async () => {
    const providers = await newBrowser().fetch('GET', '/auth/providers');
    expect(providers.body).toEqual({ email: true, github: true });

    const browser = newBrowser();
    const done = await signInWithGitHub(browser, octocat);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    const asked = github.authorizeRequests.at(-1) as URLSearchParams;
    expect(asked.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/github/callback`);
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.get('scope')).toBe('read:user user:email');
    expect(browser.jar.get('vv_oauth')).toBeUndefined();
    const me = await browser.fetch('GET', '/auth/me');
    expect(me.body.user.email).toBe('octocat@example.com');

    // Again: the same user, found by the linked GitHub account.
    const again = newBrowser();
    await signInWithGitHub(again, {
      ...octocat,
      emails: [{ email: 'new@example.com', primary: true, verified: true }],
    });
    expect((await again.fetch('GET', '/auth/me')).body.user.id).toBe(me.body.user.id);
  });

  it('links a GitHub account to the user who signed in by email with its verified address', async () => {
    const byEmail = await signIn('linus@example.com');
    const user = (await byEmail.fetch('GET', '/auth/me')).body.user;
    const browser = newBrowser();
    await signInWithGitHub(browser, {
      id: 1024,
      login: 'linus',
      name: null,
      emails: [{ email: 'linus@example.com', primary: true, verified: true }],
    });
    expect((await browser.fetch('GET', '/auth/me')).body.user.id).toBe(user.id);
  });

  it('refuses a callback whose state this browser was not given', async () => {
    github.signInAs(octocat);
    const victim = newBrowser();
    const start = await victim.fetch('GET', '/auth/github');
    const cookie = victim.jar.get('vv_oauth');
    expect(cookie).toBeDefined();
    const oauthCookie = start.setCookies.find((c) => c.name === 'vv_oauth');
    expect(oauthCookie?.attributes).toMatchObject({
      httponly: '',
      samesite: 'Lax',
      path: '/auth/github',
    });
    const atGitHub = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
    const back = new URL(atGitHub.headers.get('location') as string);

    // The attacker's browser (no cookie), a changed state, and a cookie of another attempt.
    const attacker = await newBrowser().fetch('GET', back.pathname + back.search);
    expect(attacker.status).toBe(403);
    expect(attacker.body.error.details.field).toBe('state');
    const changed = new URL(back);
    changed.searchParams.set('state', `${back.searchParams.get('state')}x`);
    const tampered = newBrowser();
    tampered.jar.set('vv_oauth', cookie as string, '/auth/github');
    expect((await tampered.fetch('GET', changed.pathname + changed.search)).status).toBe(403);
    const other = newBrowser();
    await other.fetch('GET', '/auth/github');
    const mixed = await other.fetch('GET', back.pathname + back.search);
    expect(mixed.status).toBe(403);
    expect(mixed.setCookies.map((c) => c.name)).not.toContain('vv_access');

    // The attempt's own browser completes it once; the state cannot be used again.
    const done = await victim.fetch('GET', back.pathname + back.search);
    expect(done.status).toBe(303);
    const replay = newBrowser();
    replay.jar.set('vv_oauth', cookie as string, '/auth/github');
    const replayed = await replay.fetch('GET', back.pathname + back.search);
    expect(replayed.status).toBe(502); // GitHub refuses the used code
    expect(replayed.setCookies.map((c) => c.name)).not.toContain('vv_access');
  });

  it('refuses an account without a verified primary email, and a cancelled sign-in', async () => {
    const browser = newBrowser();
    const res = await signInWithGitHub(browser, {
      id: 77,
      login: 'unverified',
      name: null,
      emails: [{ email: 'unverified@example.com', primary: true, verified: false }],
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details.field).toBe('email');
    expect(browser.jar.get('vv_access')).toBeUndefined();

    const cancelled = await newBrowser().fetch(
      'GET',
      '/auth/github/callback?error=access_denied&state=x',
    );
    expect(cancelled.status).toBe(403);
    expect(cancelled.body.error.details.field).toBe('github');
  });
});

describe('sessions', () => {
  it('reaches /api with the session, and a state change needs the CSRF token', async () => {
    const browser = await signIn('owner@example.com');
    expect((await browser.fetch('GET', '/api/projects')).body).toEqual({ projects: [] });

    const withoutCsrf = await browser.fetch('POST', '/api/projects', {
      json: { name: 'Landing page' },
      csrf: false,
    });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.error.details.field).toBe('x-csrf-token');
    const otherCsrf = await signIn('someone-else@example.com');
    const wrongCsrf = await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: browser.jar.header('/api'),
        'x-csrf-token': otherCsrf.jar.get('vv_csrf') as string,
      },
      body: JSON.stringify({ name: 'Landing page' }),
    });
    expect(wrongCsrf.status).toBe(403);

    const created = await browser.fetch('POST', '/api/projects', {
      json: { name: 'Landing page' },
    });
    expect(created.status).toBe(201);
    expect(created.body.project.name).toBe('Landing page');
    expect(created.body.token.token).toMatch(/^vv_proj_/);
    const projectId = created.body.project.id as string;
    const listed = await browser.fetch('GET', '/api/projects');
    expect(listed.body.projects.map((p: { id: string }) => p.id)).toEqual([projectId]);
    const me = await browser.fetch('GET', '/auth/me');
    expect(me.body.memberships).toEqual([{ projectId, role: 'owner' }]);

    const experiment = await browser.fetch('POST', `/api/projects/${projectId}/experiments`, {
      json: { key: 'hero', name: 'Hero', variants: [{ key: 'control' }, { key: 'bold' }] },
    });
    expect(experiment.status).toBe(201);
    // Another user is no member: refused, as for a project that does not exist.
    const stranger = await otherCsrf.fetch('GET', `/api/projects/${projectId}/experiments`);
    const nowhere = await otherCsrf.fetch('GET', '/api/projects/no-such-project/experiments');
    expect([stranger.status, stranger.body]).toEqual([nowhere.status, nowhere.body]);
    expect(stranger.status).toBe(403);
  });

  it('expires the access token after 15 minutes; refreshing rotates the refresh token', async () => {
    const browser = await signIn('rotate@example.com');
    const firstRefresh = browser.jar.get('vv_refresh') as string;
    server.clock.advance(15 * 60_000);
    const expired = await browser.fetch('GET', '/api/projects');
    expect(expired.status).toBe(401);
    expect(expired.body.error.details.field).toBe('session');

    const refreshed = await browser.fetch('POST', '/auth/refresh');
    expect(refreshed.status).toBe(200);
    expect(browser.jar.get('vv_refresh')).not.toBe(firstRefresh);
    expect((await browser.fetch('GET', '/api/projects')).status).toBe(200);

    // Refresh needs the CSRF token too.
    const noCsrf = await browser.fetch('POST', '/auth/refresh', { csrf: false });
    expect(noCsrf.status).toBe(403);

    // The replaced token again, within seconds (two tabs): refused without clearing the
    // browser's cookies (they are the new ones already), and the session lives on.
    const replay = newBrowser();
    replay.jar.set('vv_refresh', firstRefresh, '/auth');
    replay.jar.set('vv_csrf', browser.jar.get('vv_csrf') as string);
    const superseded = await replay.fetch('POST', '/auth/refresh');
    expect(superseded.status).toBe(401);
    expect(superseded.setCookies).toEqual([]);
    expect((await browser.fetch('GET', '/api/projects')).status).toBe(200);

    // Later: a replayed token was stolen; the whole session ends.
    server.clock.advance(11_000);
    replay.jar.set('vv_refresh', firstRefresh, '/auth');
    replay.jar.set('vv_csrf', browser.jar.get('vv_csrf') as string);
    expect((await replay.fetch('POST', '/auth/refresh')).status).toBe(401);
    expect((await browser.fetch('GET', '/api/projects')).status).toBe(401);
    expect((await browser.fetch('POST', '/auth/refresh')).status).toBe(401);
  });

  it('signs out: cookies cleared, the session revoked for its access and refresh tokens', async () => {
    const browser = await signIn('leave@example.com');
    const access = browser.jar.get('vv_access') as string;
    const refresh = browser.jar.get('vv_refresh') as string;
    const csrf = browser.jar.get('vv_csrf') as string;

    expect((await browser.fetch('POST', '/auth/logout', { csrf: false })).status).toBe(403);
    const out = await browser.fetch('POST', '/auth/logout');
    expect(out.status).toBe(204);
    expect(browser.jar.get('vv_access')).toBeUndefined();
    expect(browser.jar.get('vv_refresh')).toBeUndefined();

    // The old cookies, replayed, are refused although the JWT has not expired.
    const thief = newBrowser();
    thief.jar.set('vv_access', access);
    thief.jar.set('vv_refresh', refresh, '/auth');
    thief.jar.set('vv_csrf', csrf);
    expect((await thief.fetch('GET', '/api/projects')).status).toBe(401);
    expect((await thief.fetch('GET', '/auth/me')).status).toBe(401);
    expect((await thief.fetch('POST', '/auth/refresh')).status).toBe(401);
  });

  it('refuses forged and malformed access tokens', async () => {
    const browser = await signIn('forge@example.com');
    const access = browser.jar.get('vv_access') as string;
    const [header, payload, signature] = access.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherUser = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString(
      'base64url',
    );
    const unsigned = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    for (const forged of [
      `${header}.${otherUser}.${signature}`,
      `${unsigned}.${payload}.`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      'not-a-jwt',
    ]) {
      const thief = newBrowser();
      thief.jar.set('vv_access', forged);
      const res = await thief.fetch('GET', '/api/projects');
      expect(res.status).toBe(401);
    }
  });
});

describe('abuse and secrets', () => {
  it('limits sign-in links per address and per IP with 429s naming which', async () => {
    const limited = await server.listenApp({ signInLinksPerAddress: 2, signInLinksPerIp: 4 });
    try {
      const ask = (email: string) =>
        limited.request('POST', '/auth/magic-link', { body: { email } });
      expect((await ask('flood@example.com')).status).toBe(202);
      expect((await ask('Flood@Example.com ')).status).toBe(202);
      const third = await ask('flood@example.com');
      expect(third.status).toBe(429);
      expect(third.body.error.details.field).toBe('email');
      expect((await ask('other@example.com')).status).toBe(202);
      const fifth = await ask('another@example.com');
      expect(fifth.status).toBe(429);
      expect(fifth.body.error.details.field).toBe('ip');
    } finally {
      await limited.close();
    }
  });

  it('never writes a link, token, session or key into the log', async () => {
    const browser = newBrowser();
    const token = await requestLink(browser, 'quiet@example.com');
    await browser.fetch('GET', `/auth/magic-link/verify?token=${token}`);
    await browser.fetch('POST', '/auth/magic-link/verify', { json: { token } });
    await browser.fetch('POST', '/auth/refresh');
    await browser.fetch('POST', '/api/projects', { json: { name: 'Quiet' } });
    await browser.fetch('POST', '/auth/magic-link/verify', { json: { token } }); // 401, logged?
    await browser.fetch('POST', '/auth/logout');
    const log = logged.join('');
    // Every request was logged, with its path but not its query string.
    expect(log).toContain('"path":"/auth/magic-link/verify"');
    expect(log).toContain('"path":"/auth/logout"');
    for (const secret of [token, browser.jar.get('vv_csrf')]) {
      if (secret) expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/vv_rt_|vv_sk_|eyJhbGciOi/);
  });
});
