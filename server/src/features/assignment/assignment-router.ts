import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { projectOf } from '../../http/auth.js';
import { parseInput } from '../../validation.js';
import type { AssignmentService } from './assignment-service.js';

const assignSchema = z.object({
  visitorId: z.string().min(1).max(200),
  experiments: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'is not an experiment key'))
    .max(100)
    .optional(),
});

/** The request schemas these routes validate with, also the API reference's (http/openapi.ts). */
export const assignmentInputs = { assign: assignSchema };

/** `GET /v1/config` and `POST /v1/assign` (mounted under /v1 behind the token guards). */
export function assignmentRouter(assignment: AssignmentService): Router {
  const router = Router();
  router.get('/config', async (req, res) => {
    const body = JSON.stringify(await assignment.config(projectOf(res)));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.set({ 'Cache-Control': 'no-cache', ETag: etag });
    // Answered here rather than by Express's freshness check, which ignores If-None-Match
    // whenever the request says Cache-Control: no-cache (as fetch does with If-None-Match).
    if (matchesEtag(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });
  router.post('/assign', async (req, res) => {
    const body = parseInput(assignSchema, req.body);
    res.json({
      assignments: await assignment.assign(projectOf(res), body.visitorId, body.experiments),
    });
  });
  return router;
}

/** Whether an If-None-Match header names this ETag (weak comparison, RFC 9110 13.1.2). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
