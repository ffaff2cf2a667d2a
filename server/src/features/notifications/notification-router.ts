import { Router } from 'express';
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

  return router;
}
