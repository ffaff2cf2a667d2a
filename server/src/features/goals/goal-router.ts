import { Router } from 'express';
import { z } from 'zod';
import { authorizeProject } from '../../http/auth.js';
import { parseInput } from '../../validation.js';
import type { GoalService } from './goal-service.js';

const listQuery = z.object({ status: z.enum(['candidate', 'confirmed', 'rejected']).optional() });
const noBody = z.object({}).strict();

/** The request schemas these routes validate with, also the API reference's (http/openapi.ts). */
export const goalInputs = { listQuery, noBody };

/**
 * `/api/projects/:projectId/goals`: the project's goals with their counts, and a person's
 * verdict on each. Goal keys may hold any printable character (`:`, `/`, spaces): clients send
 * them URL-encoded (`encodeURIComponent`) and Express decodes the path parameter. Every handler
 * first checks that the caller may act on the project (403 otherwise).
 */
export function goalRouter(goals: GoalService): Router {
  const router = Router();
  const base = '/projects/:projectId/goals';

  router.get(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const { status } = parseInput(listQuery, req.query, 'query');
    res.json({ goals: await goals.list(req.params.projectId, { status }) });
  });

  router.get(`${base}/:goalKey`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ goal: await goals.get(req.params.projectId, req.params.goalKey) });
  });

  router.post(`${base}/:goalKey/confirm`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    parseInput(noBody, req.body ?? {});
    res.json({ goal: await goals.confirm(req.params.projectId, req.params.goalKey) });
  });

  router.post(`${base}/:goalKey/reject`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    parseInput(noBody, req.body ?? {});
    res.json({ goal: await goals.reject(req.params.projectId, req.params.goalKey) });
  });

  return router;
}
