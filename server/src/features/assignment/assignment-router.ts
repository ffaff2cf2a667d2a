import { Router } from 'express';
import { z } from 'zod';
import { projectOf } from '../../http/auth.js';
import { parseInput } from '../../http/validate.js';
import type { AssignmentService } from './assignment-service.js';

const assignSchema = z.object({
  visitorId: z.string().min(1).max(200),
  experiments: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'is not an experiment key'))
    .max(100)
    .optional(),
});

/** `GET /v1/config` and `POST /v1/assign` (mounted under /v1 behind the token guards). */
export function assignmentRouter(assignment: AssignmentService): Router {
  const router = Router();
  router.get('/config', async (_req, res) => {
    // Express adds a weak ETag and answers If-None-Match with 304.
    res.set('Cache-Control', 'no-cache');
    res.json(await assignment.config(projectOf(res)));
  });
  router.post('/assign', async (req, res) => {
    const body = parseInput(assignSchema, req.body);
    res.json({
      assignments: await assignment.assign(projectOf(res), body.visitorId, body.experiments),
    });
  });
  return router;
}
