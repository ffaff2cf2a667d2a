import { Router } from 'express';
import { ForbiddenError } from '../../errors/app-error.js';
import { authorizeProject } from '../../http/auth.js';
import type { AccountService } from '../accounts/account-service.js';
import type { TeamService } from './team-service.js';

/** `/api/projects/:projectId/members` and `/invitations`. */
export function teamRouter(team: TeamService, accounts: AccountService): Router {
  const router = Router();
  const base = '/projects/:projectId';

  router.get(`${base}/members`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json(await team.team(req.params.projectId));
  });

  // Invitations come from a person, named in the email: a signed-in owner.
  router.post(`${base}/invitations`, async (req, res) => {
    const caller = authorizeProject(res, req.params.projectId, 'owner');
    const inviter = caller.kind === 'user' ? await accounts.findUser(caller.userId) : undefined;
    if (!inviter) throw new ForbiddenError('Only a signed-in owner can invite people');
    res.status(201).json({
      invitation: (await team.invite(req.params.projectId, inviter, req.body)).invitation,
    });
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
