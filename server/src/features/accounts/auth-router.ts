import express, { type Request, type Response, Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError, UnauthorizedError } from '../../errors/app-error.js';
import { requireSameOrigin } from '../../http/same-origin.js';
import {
  ACCESS_COOKIE,
  CSRF_HEADER,
  clearSessionCookies,
  cookieOf,
  REFRESH_COOKIE,
  setSessionCookies,
} from '../../http/session-cookies.js';
import { requireUtf8Body } from '../../http/storable-text.js';
import type { AccountService } from './account-service.js';
import { GitHubOAuth } from './github-oauth.js';
import { OAUTH_ATTEMPT_TTL_MS, sameSecret } from './session-tokens.js';

/** The signed OAuth attempt (state and PKCE verifier), only for the GitHub routes. */
const OAUTH_COOKIE = 'vv_oauth';
const OAUTH_PATH = '/auth/github';

export interface AuthRouterOptions {
  /** GitHub sign-in, when configured. */
  readonly github: GitHubOAuth | undefined;
  /** Sign-in links requested per hour from one IP address. */
  readonly linksPerIpPerHour: number;
  /** Sign-in links requested per hour for one email address. */
  readonly linksPerAddressPerHour: number;
}

const HOUR_MS = 3_600_000;

/** 429 naming what was limited, as on /v1. */
const tooMany = (field: string) => (_req: Request, res: Response) => {
  throw new AppError(429, 'rate_limited', `Too many sign-in links for this ${field}; retry later`, {
    field,
    retryAfterSeconds: Number(res.getHeader('Retry-After') ?? 3600),
  });
};

/** The address a request asks a link for, normalized as the service does (for the limit). */
const addressOf = (req: Request): string => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
};

/**
 * `/auth`: the only dashboard routes open without a session. Sign-in links (request, then use),
 * refresh, sign-out and the current user.
 */
export function authRouter(accounts: AccountService, options: AuthRouterOptions): Router {
  const router = Router();
  const json = express.json({ limit: 16_384, verify: requireUtf8Body });
  const form = express.urlencoded({ extended: false, limit: 16_384 });

  const perIp = rateLimit({
    windowMs: HOUR_MS,
    limit: options.linksPerIpPerHour,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: tooMany('ip'),
  });
  const perAddress = rateLimit({
    windowMs: HOUR_MS,
    limit: options.linksPerAddressPerHour,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: addressOf,
    handler: tooMany('email'),
  });

  // The same answer whether or not the address belongs to someone.
  router.post('/auth/magic-link', json, perIp, perAddress, async (req, res) => {
    await accounts.requestSignInLink(req.body);
    res.status(202).json({ ok: true });
  });

  // What the emailed link opens: a page whose button uses the link, so that mail scanners that
  // fetch links do not use it up.
  router.get('/auth/magic-link/verify', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><title>Sign in to Vibariant</title><style>${VERIFY_PAGE_STYLE}</style></head><body><main><h1>Sign in to Vibariant</h1><p>This link works once, in this browser.</p><form method="post" action="/auth/magic-link/verify"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Sign in</button></form></main></body></html>`,
      );
  });

  // Uses a link: from that page (a form: redirects to the dashboard) or from the dashboard
  // itself (JSON: answers the user and the CSRF token).
  router.post('/auth/magic-link/verify', requireSameOrigin, json, form, async (req, res) => {
    const grant = await accounts.signInWithLink(
      (req.body as { token?: unknown } | undefined)?.token,
    );
    setSessionCookies(req, res, grant);
    if (req.is('application/json')) {
      res.json({ user: grant.user, csrfToken: grant.csrfToken });
    } else {
      // An invitation opens the project it was for.
      res.redirect(303, grant.joinedProjectId ? `/projects/${grant.joinedProjectId}` : '/');
    }
  });

  // Which sign-in methods this server offers (for the sign-in page).
  router.get('/auth/providers', (_req, res) => {
    res.json({ email: true, github: options.github !== undefined });
  });

  router.get('/auth/github', async (req, res) => {
    const github = requireGitHub(options.github);
    const attempt = GitHubOAuth.pending();
    res.cookie(OAUTH_COOKIE, await accounts.sealOAuthAttempt(attempt), {
      httpOnly: true,
      secure: req.secure,
      sameSite: 'lax',
      path: OAUTH_PATH,
      maxAge: OAUTH_ATTEMPT_TTL_MS,
    });
    res.redirect(302, github.authorizeUrl(attempt));
  });

  // GitHub sends the browser back here; the state must be the one this browser was given.
  router.get('/auth/github/callback', async (req, res) => {
    const github = requireGitHub(options.github);
    const sealed = cookieOf(req, OAUTH_COOKIE);
    res.clearCookie(OAUTH_COOKIE, {
      httpOnly: true,
      secure: req.secure,
      sameSite: 'lax',
      path: OAUTH_PATH,
    });
    if (typeof req.query.error === 'string') {
      throw new AppError(403, 'github_denied', 'GitHub sign-in was cancelled', { field: 'github' });
    }
    const attempt = sealed ? await accounts.openOAuthAttempt(sealed) : undefined;
    const state = typeof req.query.state === 'string' ? req.query.state : undefined;
    if (!attempt || !sameSecret(state, attempt.state)) {
      throw new AppError(
        403,
        'oauth_state_mismatch',
        'This sign-in did not start in this browser, or took too long: start again',
        { field: 'state' },
      );
    }
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    if (code.length === 0 || code.length > 512) {
      throw new AppError(400, 'invalid_request', 'code: missing', { field: 'code' });
    }
    const grant = await accounts.signInWithGitHub(await github.profile(code, attempt));
    setSessionCookies(req, res, grant);
    res.redirect(303, '/');
  });

  router.post('/auth/refresh', async (req, res) => {
    try {
      const grant = await accounts.refresh(cookieOf(req, REFRESH_COOKIE), req.get(CSRF_HEADER));
      setSessionCookies(req, res, grant);
      res.json({ user: grant.user, csrfToken: grant.csrfToken });
    } catch (error) {
      if (error instanceof UnauthorizedError && error.details.superseded !== true) {
        clearSessionCookies(req, res);
      }
      throw error;
    }
  });

  router.post('/auth/logout', async (req, res) => {
    await accounts.signOut(cookieOf(req, REFRESH_COOKIE), req.get(CSRF_HEADER));
    clearSessionCookies(req, res);
    res.status(204).end();
  });

  router.get('/auth/me', async (req, res) => {
    const accessToken = cookieOf(req, ACCESS_COOKIE);
    const session = accessToken ? await accounts.authenticate(accessToken) : undefined;
    if (!session) throw new UnauthorizedError('Not signed in', { field: 'session' });
    res.json({
      user: session.user,
      memberships: await accounts.membershipsOf(session.user.id),
      csrfToken: accounts.csrfTokenOf(session.sessionId),
    });
  });

  return router;
}

function requireGitHub(github: GitHubOAuth | undefined): GitHubOAuth {
  if (!github) {
    throw new AppError(404, 'not_configured', 'GitHub sign-in is not configured on this server', {
      field: 'github',
    });
  }
  return github;
}

/** The sign-in link's page, styled like the dashboard's sign-in. */
const VERIFY_PAGE_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0}main{max-width:420px;margin:15vh auto;padding:1rem}button{font:inherit;padding:.5em 1.2em;border-radius:6px;border:1px solid #4338ca;background:#4338ca;color:#fff;cursor:pointer}';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
