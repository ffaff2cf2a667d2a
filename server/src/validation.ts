import type { z } from 'zod';
import { ValidationError } from './errors/app-error.js';

/** Dotted path of a zod issue, `body` for the root: `events.3.visitorId`. */
export const issuePath = (path: readonly PropertyKey[], root = 'body'): string =>
  path.length === 0 ? root : path.map(String).join('.');

/**
 * Parses `value` with `schema`.
 * @throws ValidationError (400) naming the first invalid field, with every issue in details.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root = 'body',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issuePath(issue.path, root),
    message: issue.message,
  }));
  const first = issues[0] ?? { field: root, message: 'is invalid' };
  throw new ValidationError(first.field, `${first.field}: ${first.message}`, { issues });
}
