import { Router } from 'express';
import { z } from 'zod';
import { authorizeProject, principalOf } from '../../http/auth.js';
import { parseInput } from '../../validation.js';
import type { ProjectService } from './project-service.js';

const origin = z
  .string()
  .max(300)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return /^https?:$/.test(url.protocol) && url.origin === value && !value.includes('*');
      } catch {
        return false;
      }
    },
    // What browsers send: lower-case host, no default port, no path, no credentials.
    'must be an origin as browsers send it, such as https://app.example.com',
  );

const projectPatch = z
  .object({
    name: z.string().trim().min(1).max(200),
    autoCreateExperiments: z.boolean(),
    allowedOrigins: z
      .array(origin)
      .max(100)
      .refine((list) => new Set(list).size === list.length, 'must not repeat an origin'),
    // Served to every visitor in /v1/config: settings, not data.
    autotrack: z.record(z.string(), z.unknown()).refine((value) => {
      try {
        return JSON.stringify(value).length <= 10_000;
      } catch {
        return false; // nested too deep to serialize
      }
    }, 'must be at most 10 KB of JSON'),
  })
  .partial()
  .strict();

const named = z.object({ name: z.string().trim().min(1).max(200).default('default') }).strict();

/** `/api/projects/:projectId`: the project, its public tokens and its secret API keys. */
export function projectRouter(projects: ProjectService): Router {
  const router = Router();

  // The projects this credential reaches: for an API key, its own.
  router.get('/projects', async (_req, res) => {
    res.json({ projects: [await projects.getProject(principalOf(res).projectId)] });
  });

  router.get('/projects/:projectId', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ project: await projects.getProject(req.params.projectId) });
  });

  router.patch('/projects/:projectId', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const patch = parseInput(projectPatch, req.body);
    res.json({ project: await projects.updateProject(req.params.projectId, patch) });
  });

  router.get('/projects/:projectId/tokens', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ tokens: await projects.listTokens(req.params.projectId) });
  });

  router.post('/projects/:projectId/tokens', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const { name } = parseInput(named, req.body ?? {});
    res.status(201).json({ token: await projects.createToken(req.params.projectId, name) });
  });

  router.delete('/projects/:projectId/tokens/:tokenId', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ token: await projects.revokeToken(req.params.projectId, req.params.tokenId) });
  });

  router.get('/projects/:projectId/api-keys', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ apiKeys: await projects.listApiKeys(req.params.projectId) });
  });

  // The key itself is in this response only; afterwards only its prefix is shown.
  router.post('/projects/:projectId/api-keys', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const { name } = parseInput(named, req.body ?? {});
    const { apiKey, key } = await projects.createApiKey(req.params.projectId, name);
    res.status(201).json({ apiKey, key });
  });

  router.delete('/projects/:projectId/api-keys/:keyId', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ apiKey: await projects.revokeApiKey(req.params.projectId, req.params.keyId) });
  });

  return router;
}
