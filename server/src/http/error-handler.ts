import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors/app-error.js';

/** Seconds a client is asked to wait before retrying while the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Errors from Express's body parsers carry a status and a type. */
interface HttpParserError {
  status?: number;
  type?: string;
  limit?: number;
  message?: string;
}

function fromParserError(error: HttpParserError): AppError | undefined {
  if (error.type === 'entity.too.large') {
    return new AppError(413, 'payload_too_large', `Request body exceeds ${error.limit} bytes`, {
      field: 'body',
      limit: error.limit,
    });
  }
  if (error.type === 'entity.parse.failed') {
    return new AppError(400, 'invalid_json', 'Request body must be a JSON object or array', {
      field: 'body',
    });
  }
  if (error.type === 'charset.unsupported' || error.type === 'encoding.unsupported') {
    return new AppError(415, 'unsupported_media_type', error.message ?? 'Unsupported body', {
      field: error.type === 'charset.unsupported' ? 'content-type' : 'content-encoding',
    });
  }
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return new AppError(error.status, 'bad_request', 'The request could not be read', {
      field: 'body',
    });
  }
  return undefined;
}

/**
 * The one place errors become responses: `{ error: { code, message, details } }`. A 5xx is
 * logged with an ID that the response carries; its internals are never sent. An unreachable
 * database (see `isDatabaseUnavailable`) is a 503 `database_unavailable` with `Retry-After`,
 * logged as a warning.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof AppError ? error : fromParserError(error as HttpParserError);
    if (known) {
      res.status(known.status).json({
        error: { code: known.code, message: known.message, details: known.details },
      });
      return;
    }
    const errorId = randomUUID();
    if (isDatabaseUnavailable(error)) {
      // Not the request's fault and not a bug: the client retries later (the SDK does).
      logger.warn(
        { err: { message: (error as Error).message }, errorId, method: req.method, path: req.path },
        'database unavailable',
      );
      res.set('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({
        error: {
          code: 'database_unavailable',
          message: 'The database cannot be reached right now; retry later',
          details: { errorId, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
        },
      });
      return;
    }
    logger.error({ err: error, errorId, method: req.method, path: req.path }, 'request failed');
    res.status(500).json({
      error: { code: 'internal', message: 'Internal server error', details: { errorId } },
    });
  };
}

/** 404 for every route nothing else answered. */
export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({
    error: {
      code: 'not_found',
      message: `No route ${req.method} ${req.path}`,
      details: { method: req.method, path: req.path },
    },
  });
};
