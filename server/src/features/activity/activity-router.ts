import { Router } from 'express';
import { authorizeProject } from '../../http/auth.js';
import { currentActor } from '../../request-context.js';
import type { ActivityService } from './activity-service.js';

/** `/api/projects/:projectId/experiments/:key/notes`: the experiment's activity feed. */
export function activityRouter(activity: ActivityService): Router {
  const router = Router();
  const base = '/projects/:projectId/experiments/:key/notes';

  router.get(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ notes: await activity.listNotes(req.params.projectId, req.params.key) });
  });

  router.post(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const author = currentActor();
    if (!author) throw new Error('a note without an author');
    const note = await activity.addNote(req.params.projectId, req.params.key, author, req.body);
    res.status(201).json({ note });
  });

  return router;
}
