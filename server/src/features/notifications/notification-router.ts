import { Router } from 'express';
import { ForbiddenError } from '../../errors/app-error.js';
import { authorizeProject } from '../../http/auth.js';
import type { NotificationService } from './notification-service.js';

/** `/api/projects/:projectId/notifications`: listed, and marked read. */
export function notificationRouter(notifications: NotificationService): Router {
  const router = Router();
  const base = '/projects/:projectId/notifications';

  router.get(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ notifications: await notifications.list(req.params.projectId, req.query) });
  });

  router.post(`${base}/read`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ marked: await notifications.markRead(req.params.projectId, req.body) });
  });

  // A signed-in member's own choice: notifications by email, or not.
  router.get('/projects/:projectId/members/me/notifications', async (req, res) => {
    const caller = authorizeProject(res, req.params.projectId);
    if (caller.kind !== 'user') throw new ForbiddenError('Only a signed-in member has settings');
    res.json(await notifications.getEmail(req.params.projectId, caller.userId));
  });

  router.put('/projects/:projectId/members/me/notifications', async (req, res) => {
    const caller = authorizeProject(res, req.params.projectId);
    if (caller.kind !== 'user') throw new ForbiddenError('Only a signed-in member has settings');
    res.json(await notifications.setEmail(req.params.projectId, caller.userId, req.body));
  });

  return router;
}
