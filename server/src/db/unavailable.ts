/**
 * Errors that say the database cannot be reached right now (it is down, restarting, or every
 * connection is busy), as opposed to a query's own error: the request may succeed if retried
 * later, so the API answers 503 for them (see `http/error-handler.ts`).
 */

/** Socket errors of a connection to the database (pg's `connect`, a dropped connection). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL's SQLSTATEs for a server going away or not taking connections: 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down,
 * recovering), 53300 too_many_connections; class 08 is every connection exception.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * What pg and pg-pool say when a connection ends or cannot be made in time (knex puts the query
 * before the driver's message).
 */
const CONNECTION_MESSAGES = [
  /Connection terminated/,
  /connection error and is not queryable/,
  /Client was closed and is not queryable/,
  /timeout exceeded when trying to connect/,
];

/**
 * Whether `error` means the database is unreachable for now: a refused, reset or timed-out
 * connection, PostgreSQL shutting down or starting up (57P01, 57P02, 57P03, class 08, 53300),
 * pg's "Connection terminated", or knex giving up waiting for a pooled connection. Other
 * errors (a bad query, a constraint) are not.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message !== 'string') return false;
  if (name === 'KnexTimeoutError') return /Timeout acquiring a connection/.test(message);
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}
