import { Router } from 'express';
import { z } from 'zod';
import { authorizeProject } from '../../http/auth.js';
import { parseInput } from '../../validation.js';
import { MAX_HISTORY, type ResultsService } from './results-service.js';

const resultsQuery = z.object({ goal: z.string().min(1).max(128).optional() });
const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY).optional(),
});

/** The request schemas these routes validate with, also the API reference's (http/openapi.ts). */
export const resultsInputs = { resultsQuery, historyQuery };

/**
 * `/api/projects/:projectId/experiments/:key/{results,decisions,allocations}`: the decision
 * computed now (for any goal of the project), the decision history and the allocation history.
 * Read-only; every handler first checks that the caller may act on the project (403 otherwise).
 */
export function resultsRouter(results: ResultsService): Router {
  const router = Router();
  const base = '/projects/:projectId/experiments/:key';

  router.get(`${base}/results`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const { goal } = parseInput(resultsQuery, req.query, 'query');
    res.json(await results.results(req.params.projectId, req.params.key, goal));
  });

  router.get(`${base}/decisions`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const { limit } = parseInput(historyQuery, req.query, 'query');
    res.json({
      decisions: await results.history(req.params.projectId, req.params.key, limit),
    });
  });

  router.get(`${base}/allocations`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ allocations: await results.allocations(req.params.projectId, req.params.key) });
  });

  return router;
}
