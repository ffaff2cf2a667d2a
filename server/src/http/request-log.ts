import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** A request ID a client or proxy may send: short, and nothing but safe characters. */
const REQUEST_ID_SHAPE = /^[A-Za-z0-9._-]{1,64}$/;

/** Requests too frequent to log at info when they succeed: the SDK's, and probes'. */
const QUIET_PATHS = /^\/(v1\/|healthz$|readyz$|metrics$)/;

/**
 * The path of a request without its query string, which may hold a token: the whole path, also
 * inside a router mounted on a prefix (where Express has cut the prefix off `req.url`).
 */
const pathOf = (req: IncomingMessage & { originalUrl?: string }): string =>
  (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';

/**
 * One log line per request (pino-http): request ID (the client's `X-Request-Id` when well formed,
 * else a new UUID; echoed in the response), method, path without the query string, status and
 * duration. Never headers, cookies, query strings or bodies: they carry tokens and personal data.
 * Successful SDK requests (`/v1`) and probes (`/healthz`, `/readyz`, `/metrics`) are logged at
 * debug level, the rest at info, 5xx at error.
 */
export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_SHAPE.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        path: pathOf(req),
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode < 400 && QUIET_PATHS.test(pathOf(req))) return 'debug';
      return 'info';
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
  }) as unknown as RequestHandler;
}
