import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors/app-error.js';
import { API_KEY_PREFIX, PROJECT_TOKEN_PREFIX } from '../features/projects/credentials.js';
import type { ProjectService } from '../features/projects/project-service.js';
import type { Project } from '../features/projects/project-store.js';

/** Credentials are a prefix and base64url characters; anything else is never looked up. */
const PROJECT_TOKEN_SHAPE = new RegExp(`^${PROJECT_TOKEN_PREFIX}[A-Za-z0-9_-]{1,100}$`);
const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{1,100}$`);

/** Who is calling the management API. */
export interface Principal {
  readonly kind: 'api_key';
  readonly projectId: string;
  readonly apiKeyId: string;
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * The public project token of an SDK request, from (in order) `Authorization: Bearer`, the
 * `X-Vibariant-Token` header, the `token` query parameter or the body's `token` field:
 * sendBeacon can set neither headers nor a content type other than text/plain.
 */
function projectTokenOf(req: Request): string | undefined {
  const fromBody = (req.body as { token?: unknown } | undefined)?.token;
  const candidates = [
    bearer(req),
    req.get('x-vibariant-token'),
    typeof req.query.token === 'string' ? req.query.token : undefined,
    typeof fromBody === 'string' ? fromBody : undefined,
  ];
  return candidates.find((c) => c !== undefined && c.length > 0);
}

/** Requires a live project token; puts its project in `res.locals.project`. */
export function requireProjectToken(projects: ProjectService): RequestHandler {
  return async (req, res, next) => {
    const token = projectTokenOf(req);
    if (!token) {
      throw new UnauthorizedError('A project token (vv_proj_…) is required', { field: 'token' });
    }
    if (!PROJECT_TOKEN_SHAPE.test(token)) {
      throw new UnauthorizedError('This is not a project token (vv_proj_…)', { field: 'token' });
    }
    const project = await projects.projectForToken(token);
    if (!project)
      throw new UnauthorizedError('Unknown or revoked project token', { field: 'token' });
    res.locals.project = project;
    next();
  };
}

/** Requires a live secret API key; puts the caller in `res.locals.principal`. */
export function requireApiKey(projects: ProjectService): RequestHandler {
  return async (req, res, next) => {
    const key = bearer(req);
    if (!key) {
      throw new UnauthorizedError('Send a secret API key as Authorization: Bearer vv_sk_…', {
        field: 'authorization',
      });
    }
    if (!API_KEY_SHAPE.test(key)) {
      throw new UnauthorizedError('This is not a secret API key (vv_sk_…)', {
        field: 'authorization',
      });
    }
    const apiKey = await projects.apiKeyForSecret(key);
    if (!apiKey) {
      throw new UnauthorizedError('Unknown or revoked API key', { field: 'authorization' });
    }
    const principal: Principal = {
      kind: 'api_key',
      projectId: apiKey.projectId,
      apiKeyId: apiKey.id,
    };
    res.locals.principal = principal;
    next();
  };
}

/** The project an SDK request is authorised for (after `requireProjectToken`). */
export const projectOf = (res: Response): Project => res.locals.project as Project;

/** The caller of a management route (after `requireApiKey`). */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/**
 * The caller, after checking it may act on `projectId`.
 * @throws ForbiddenError (403) when it may not.
 */
export function authorizeProject(res: Response, projectId: string): Principal {
  const principal = principalOf(res);
  if (principal.projectId !== projectId) throw new ForbiddenError();
  return principal;
}
