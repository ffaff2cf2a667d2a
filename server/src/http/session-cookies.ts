import type { CookieOptions, Request, Response } from 'express';
import type { SessionGrant } from '../features/accounts/account-service.js';
import { ACCESS_TOKEN_TTL_MS } from '../features/accounts/session-tokens.js';

/** The access JWT: HttpOnly, sent with every request. */
export const ACCESS_COOKIE = 'vv_access';
/** The refresh token: HttpOnly, sent only to `/auth`. */
export const REFRESH_COOKIE = 'vv_refresh';
/** The session's CSRF token: readable by the dashboard, which echoes it in `X-CSRF-Token`. */
export const CSRF_COOKIE = 'vv_csrf';
/** The header that carries the CSRF token on state-changing requests. */
export const CSRF_HEADER = 'x-csrf-token';

const REFRESH_PATH = '/auth';

/**
 * Cookie flags: `SameSite=Lax`, and `Secure` when the request came over HTTPS (directly, or
 * through a trusted proxy: `TRUST_PROXY`).
 */
const flags = (req: Request, httpOnly: boolean): CookieOptions => ({
  httpOnly,
  secure: req.secure,
  sameSite: 'lax',
});

/** Puts a new or refreshed session into the response's cookies. */
export function setSessionCookies(req: Request, res: Response, grant: SessionGrant): void {
  res.cookie(ACCESS_COOKIE, grant.accessToken, {
    ...flags(req, true),
    path: '/',
    maxAge: ACCESS_TOKEN_TTL_MS,
  });
  res.cookie(REFRESH_COOKIE, grant.refreshToken, {
    ...flags(req, true),
    path: REFRESH_PATH,
    expires: grant.refreshExpiresAt,
  });
  res.cookie(CSRF_COOKIE, grant.csrfToken, {
    ...flags(req, false),
    path: '/',
    expires: grant.refreshExpiresAt,
  });
}

/** Removes every session cookie. */
export function clearSessionCookies(req: Request, res: Response): void {
  res.clearCookie(ACCESS_COOKIE, { ...flags(req, true), path: '/' });
  res.clearCookie(REFRESH_COOKIE, { ...flags(req, true), path: REFRESH_PATH });
  res.clearCookie(CSRF_COOKIE, { ...flags(req, false), path: '/' });
}

/** A cookie of the request (parsed by cookie-parser), when it is a non-empty string. */
export function cookieOf(req: Request, name: string): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
