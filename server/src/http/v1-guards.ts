import cors from 'cors';
import type { NextFunction, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError, ForbiddenError } from '../errors/app-error.js';
import { projectOf } from './auth.js';

/**
 * CORS for the SDK routes: any origin, never credentials. A project that lists allowed origins
 * is enforced after its token is known (see `requireAllowedOrigin`); a preflight cannot carry
 * the token, so it is answered for every origin.
 */
export const sdkCors: RequestHandler = cors({
  origin: '*',
  credentials: false,
  methods: ['GET', 'POST', 'OPTIONS'],
  allowedHeaders: ['Content-Type', 'Authorization', 'X-Vibariant-Token', 'If-None-Match'],
  exposedHeaders: ['ETag', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
  maxAge: 600,
});

/**
 * When the project lists allowed origins, a browser request from any other origin gets 403 and
 * no CORS header (requests without an Origin header, from servers, pass).
 */
export const requireAllowedOrigin: RequestHandler = (req, res, next) => {
  const allowed = projectOf(res).allowedOrigins;
  const origin = req.get('origin');
  if (allowed.length === 0 || origin === undefined) return next();
  if (!allowed.includes(origin)) {
    res.removeHeader('Access-Control-Allow-Origin');
    res.removeHeader('Access-Control-Expose-Headers');
    throw new ForbiddenError(`Origin ${origin} is not allowed for this project`);
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.vary('Origin');
  next();
};

function rateLimited(scope: 'ip' | 'token') {
  return (_req: unknown, res: Response, next: NextFunction) => {
    const retryAfter = Number(res.getHeader('Retry-After') ?? 60);
    next(
      new AppError(
        429,
        'rate_limited',
        `Too many requests from this ${scope === 'ip' ? 'IP address' : 'project'}; retry later`,
        {
          field: scope,
          retryAfterSeconds: retryAfter,
        },
      ),
    );
  };
}

/** At most `limit` requests per minute from one client IP (IPv6 by /56 subnet). */
export function limitPerIp(limit: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: rateLimited('ip'),
  });
}

/** At most `limit` requests per minute per project (after `requireProjectToken`). */
export function limitPerProject(limit: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'project',
    keyGenerator: (_req, res) => projectOf(res).id,
    handler: rateLimited('token'),
  });
}
