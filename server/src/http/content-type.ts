import type { RequestHandler } from 'express';
import { AppError } from '../errors/app-error.js';

/**
 * 415 for a request with a body of any other media type than `types` (requests without a body,
 * or with an empty one, pass), so a form or XML body is named as such instead of failing validation as "missing".
 */
export function requireContentType(types: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    // An empty body (Content-Length: 0, as fetch sends for a bodiless POST) is no body.
    const empty = req.get('content-length') === '0';
    if (!empty && req.is([...types]) === false) {
      throw new AppError(415, 'unsupported_media_type', `Send the body as ${types.join(' or ')}`, {
        field: 'content-type',
      });
    }
    next();
  };
}
