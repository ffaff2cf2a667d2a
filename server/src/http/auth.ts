import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors/app-error.js';
import type { AccountService } from '../features/accounts/account-service.js';
import type { Role } from '../features/accounts/account-store.js';
import { API_KEY_PREFIX, PROJECT_TOKEN_PREFIX } from '../features/projects/credentials.js';
import type { ProjectService } from '../features/projects/project-service.js';
import type { Project } from '../features/projects/project-store.js';
import { type Actor, actAs } from '../request-context.js';
import { ACCESS_COOKIE, CSRF_HEADER, cookieOf } from './session-cookies.js';

/** Credentials are a prefix and base64url characters; anything else is never looked up. */
const PROJECT_TOKEN_SHAPE = new RegExp(`^${PROJECT_TOKEN_PREFIX}[A-Za-z0-9_-]{1,100}$`);
const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{1,100}$`);

/** Who is calling the management API: a secret API key (automation) or a signed-in user. */
export type Principal =
  | { readonly kind: 'api_key'; readonly projectId: string; readonly apiKeyId: string }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly email: string;
      readonly sessionId: string;
    };

/** What the caller may do in the project of the request's path (see `resolveProjectAccess`). */
interface ProjectAccess {
  readonly projectId: string;
  readonly role: Role;
}

/** Methods that change state: a session cookie alone is not enough for them (CSRF). */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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

/**
 * Requires a caller for `/api`: a secret API key in `Authorization: Bearer vv_sk_…`, or else the
 * session cookie of a signed-in user, who must also send the session's CSRF token in
 * `X-CSRF-Token` on POST, PUT, PATCH and DELETE. Puts the caller in `res.locals.principal`.
 * @throws UnauthorizedError (401) naming `authorization` or `session`; ForbiddenError (403,
 *   field `x-csrf-token`) for a state change without the CSRF token.
 */
export function requireCaller(projects: ProjectService, accounts: AccountService): RequestHandler {
  return async (req, res, next) => {
    if (req.get('authorization') !== undefined) {
      const principal = await apiKeyPrincipal(req, projects);
      res.locals.principal = principal;
      const actor: Actor = { kind: 'api_key', apiKeyId: principal.apiKeyId, label: 'API key' };
      actAs(actor, next);
      return;
    }
    const accessToken = cookieOf(req, ACCESS_COOKIE);
    if (!accessToken) {
      throw new UnauthorizedError(
        'Sign in, or send a secret API key as Authorization: Bearer vv_sk_…',
        { field: 'authorization' },
      );
    }
    const session = await accounts.authenticate(accessToken);
    if (!session) {
      throw new UnauthorizedError('Your session has expired or ended: sign in again', {
        field: 'session',
      });
    }
    if (
      UNSAFE_METHODS.has(req.method) &&
      !accounts.checkCsrf(session.sessionId, req.get(CSRF_HEADER))
    ) {
      throw new ForbiddenError("Send the session's CSRF token in the X-CSRF-Token header", {
        field: CSRF_HEADER,
      });
    }
    const principal: Principal = {
      kind: 'user',
      userId: session.user.id,
      email: session.user.email,
      sessionId: session.sessionId,
    };
    res.locals.principal = principal;
    actAs(
      { kind: 'user', userId: session.user.id, label: session.user.name ?? session.user.email },
      next,
    );
  };
}

/** The API key of `Authorization: Bearer`, checked. */
async function apiKeyPrincipal(
  req: Request,
  projects: ProjectService,
): Promise<Extract<Principal, { kind: 'api_key' }>> {
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
  return { kind: 'api_key', projectId: apiKey.projectId, apiKeyId: apiKey.id };
}

/**
 * For routes under `/projects/:projectId`: finds the caller's role in that project (an API key
 * acts as an owner of its own project; a user has the role of their membership) and keeps it
 * for `authorizeProject`. Callers with no role are refused there, not here.
 */
export function resolveProjectAccess(accounts: AccountService): RequestHandler {
  return async (req, res, next) => {
    const projectId = req.params.projectId;
    const principal = principalOf(res);
    let role: Role | undefined;
    if (typeof projectId === 'string') {
      if (principal.kind === 'api_key') {
        role = principal.projectId === projectId ? 'owner' : undefined;
      } else {
        role = await accounts.roleOf(projectId, principal.userId);
      }
    }
    if (role && typeof projectId === 'string') {
      const access: ProjectAccess = { projectId, role };
      res.locals.projectAccess = access;
    }
    next();
  };
}

/** The project an SDK request is authorised for (after `requireProjectToken`). */
export const projectOf = (res: Response): Project => res.locals.project as Project;

/** The caller of a management route (after `requireCaller`). */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/**
 * The caller, after checking it may act on `projectId` with at least the role `needs`
 * (`member`: experiments, goals and results; `owner`: members, tokens, API keys, webhooks).
 * @throws ForbiddenError (403) when it may not: the same answer whether or not the project
 *   exists.
 */
export function authorizeProject(
  res: Response,
  projectId: string,
  needs: Role = 'member',
): Principal & { readonly role: Role } {
  const access = res.locals.projectAccess as ProjectAccess | undefined;
  if (access?.projectId !== projectId) throw new ForbiddenError();
  if (needs === 'owner' && access.role !== 'owner') {
    throw new ForbiddenError('Only an owner of this project can do this');
  }
  return { ...principalOf(res), role: access.role };
}
