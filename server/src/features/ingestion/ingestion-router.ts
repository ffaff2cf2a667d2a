import { Router } from 'express';
import { projectOf } from '../../http/auth.js';
import type { IngestionService } from './ingestion-service.js';

/** `POST /v1/events` (mounted under /v1 behind the project-token guards). */
export function ingestionRouter(ingestion: IngestionService): Router {
  const router = Router();
  router.post('/events', async (req, res) => {
    const outcome = await ingestion.ingest(projectOf(res), req.body, {
      userAgent: req.get('user-agent'),
    });
    res.status(200).json(outcome);
  });
  return router;
}
