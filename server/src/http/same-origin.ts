import type { RequestHandler } from 'express';
import { ForbiddenError } from '../errors/app-error.js';

/**
 * Whether a browser's `Origin` header names this server (`host`, the request's Host header).
 * No Origin (not a browser) counts as same-origin; `null` or garbage does not.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Refuses a request a browser sent from another site's page (`Sec-Fetch-Site: cross-site`, or
 * an `Origin` whose host is not this server's): for the form that signs in, which has no CSRF
 * token yet (a page elsewhere could otherwise sign a visitor into someone else's account).
 * Requests without these headers (not from a browser) pass.
 * @throws ForbiddenError (403, field `origin`).
 */
export const requireSameOrigin: RequestHandler = (req, _res, next) => {
  const refused = () =>
    new ForbiddenError('Sign in from this server’s own pages', { field: 'origin' });
  if (req.get('sec-fetch-site') === 'cross-site') throw refused();
  if (!isSameOrigin(req.get('origin'), req.get('host'))) throw refused();
  next();
};
