import { Router } from 'express';
import { projectOf } from '../../http/auth.js';
import type { Metrics } from '../../metrics.js';
import type { IngestionService } from './ingestion-service.js';

/**
 * `POST /v1/events` (mounted under /v1 behind the project-token guards). Counts the events of
 * each acknowledged batch by outcome in `metrics.events`.
 */
export function ingestionRouter(ingestion: IngestionService, metrics: Metrics): Router {
  const router = Router();
  router.post('/events', async (req, res) => {
    const outcome = await ingestion.ingest(projectOf(res), req.body, {
      userAgent: req.get('user-agent'),
    });
    metrics.events.inc({ outcome: 'accepted' }, outcome.accepted);
    metrics.events.inc({ outcome: 'duplicate' }, outcome.duplicates);
    metrics.events.inc({ outcome: 'rejected' }, outcome.rejected.length);
    res.status(200).json(outcome);
  });
  return router;
}
