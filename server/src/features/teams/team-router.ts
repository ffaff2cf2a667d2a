import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError, ForbiddenError } from '../../errors/app-error.js';
import { authorizeProject } from '../../http/auth.js';
import type { AccountService } from '../accounts/account-service.js';
import type { User } from '../accounts/account-store.js';
import type { TeamService } from './team-service.js';

/** Invitations a project may send per hour (each is an email the server sends). */
export const INVITATIONS_PER_PROJECT_PER_HOUR = 50;

/** `/api/projects/:projectId/members` and `/invitations`. */
export function teamRouter(team: TeamService, accounts: AccountService): Router {
  const router = Router();
  const base = '/projects/:projectId';
  const invitationLimit = rateLimit({
    windowMs: 3_600_000,
    limit: INVITATIONS_PER_PROJECT_PER_HOUR,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => String(req.params.projectId),
    handler: (_req, res) => {
      throw new AppError(
        429,
        'rate_limited',
        'Too many invitations from this project; retry later',
        {
          field: 'project',
          retryAfterSeconds: Number(res.getHeader('Retry-After') ?? 3600),
        },
      );
    },
  });

  router.get(`${base}/members`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json(await team.team(req.params.projectId));
  });

  // Invitations come from a person, named in the email: a signed-in owner. Counted against
  // the project's hourly limit only once the caller is known to be one of its owners.
  router.post(`${base}/invitations`, async (req, res, next) => {
    const caller = authorizeProject(res, req.params.projectId, 'owner');
    const inviter = caller.kind === 'user' ? await accounts.findUser(caller.userId) : undefined;
    if (!inviter) throw new ForbiddenError('Only a signed-in owner can invite people');
    res.locals.inviter = inviter;
    next();
  });
  router.post(`${base}/invitations`, invitationLimit, async (req, res) => {
    const projectId = String(req.params.projectId);
    const { invitation } = await team.invite(projectId, res.locals.inviter as User, req.body);
    res.status(201).json({ invitation });
  });

  router.delete(`${base}/invitations/:email`, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    await team.cancelInvitation(req.params.projectId, req.params.email);
    res.status(204).end();
  });

  router.patch(`${base}/members/:userId`, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({
      member: await team.changeRole(req.params.projectId, req.params.userId, req.body),
    });
  });

  // Owners remove anyone; a member may leave.
  router.delete(`${base}/members/:userId`, async (req, res) => {
    const caller = authorizeProject(res, req.params.projectId);
    await team.removeMember(req.params.projectId, req.params.userId, {
      userId: caller.kind === 'user' ? caller.userId : null,
      role: caller.role,
    });
    res.status(204).end();
  });

  return router;
}
