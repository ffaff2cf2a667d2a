import { isUtf8 } from 'node:buffer';
import type { RequestHandler } from 'express';
import { isStorableText } from '../contracts/events.js';
import { ValidationError } from '../errors/app-error.js';

/** The path of the first string (or object key) PostgreSQL cannot store, if any. */
function firstUnstorable(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (typeof value !== 'object' || value === null || depth > 64) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (!isStorableText(key)) return at;
    const found = firstUnstorable(inner, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * 400 for a request whose path, query or body holds text PostgreSQL cannot store (a NUL
 * character, an unpaired surrogate, or a path that is not UTF-8), naming where, before any
 * handler sees it. The event batch checks its events one by one instead (see the event schema).
 */
export const rejectUnstorableText: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    throw new ValidationError('path', 'The path is not valid percent-encoded UTF-8');
  }
  const field =
    (isStorableText(path) ? undefined : 'path') ??
    firstUnstorable(req.query, 'query') ??
    firstUnstorable(req.body, 'body');
  if (field) {
    throw new ValidationError(field, `${field}: must not contain NUL or unpaired surrogates`);
  }
  next();
};

/**
 * For the JSON parsers' `verify` option: refuses a body that is not valid UTF-8 with a 400 on
 * `body`, before parsing would turn each bad byte into U+FFFD (and two different IDs into the
 * same one).
 * @throws ValidationError (400, field `body`).
 */
export function requireUtf8Body(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw new ValidationError('body', 'The request body must be valid UTF-8');
}
