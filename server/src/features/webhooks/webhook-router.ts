import { Router } from 'express';
import { authorizeProject } from '../../http/auth.js';
import type { WebhookService } from './webhook-service.js';

/** `/api/projects/:projectId/webhooks`: owners add, test, inspect and remove webhooks. */
export function webhookRouter(webhooks: WebhookService): Router {
  const router = Router();
  const base = '/projects/:projectId/webhooks';

  router.get(base, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({ webhooks: await webhooks.list(req.params.projectId) });
  });

  // The secret that signs deliveries is in this answer only.
  router.post(base, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.status(201).json(await webhooks.add(req.params.projectId, req.body));
  });

  router.delete(`${base}/:webhookId`, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    await webhooks.remove(req.params.projectId, req.params.webhookId);
    res.status(204).end();
  });

  router.post(`${base}/:webhookId/test`, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res
      .status(202)
      .json({ delivery: await webhooks.test(req.params.projectId, req.params.webhookId) });
  });

  router.get(`${base}/:webhookId/deliveries`, async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({
      deliveries: await webhooks.deliveries(req.params.projectId, req.params.webhookId),
    });
  });

  return router;
}
