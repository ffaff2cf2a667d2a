import { Router } from 'express';
import { z } from 'zod';
import { ForbiddenError } from '../../errors/app-error.js';
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

const projectName = z.object({ name: z.string().trim().min(1).max(200) }).strict();

const named = z.object({ name: z.string().trim().min(1).max(200).default('default') }).strict();

/** The request schemas these routes validate with, also the API reference's (http/openapi.ts). */
export const projectInputs = { create: projectName, patch: projectPatch, named };

/** `/api/projects/:projectId`: the project, its public tokens and its secret API keys. */
export function projectRouter(projects: ProjectService): Router {
  const router = Router();

  // The projects this caller reaches: for an API key its own, for a user their memberships.
  router.get('/projects', async (_req, res) => {
    const principal = principalOf(res);
    res.json({
      projects:
        principal.kind === 'api_key'
          ? [await projects.getProject(principal.projectId)]
          : await projects.listProjectsOf(principal.userId),
    });
  });

  // A signed-in user creates a project and becomes its owner; API keys belong to one project.
  router.post('/projects', async (req, res) => {
    const principal = principalOf(res);
    if (principal.kind !== 'user') {
      throw new ForbiddenError('Only a signed-in user can create a project');
    }
    const { name } = parseInput(projectName, req.body ?? {});
    const created = await projects.createProject(name, principal.userId);
    res.status(201).json({
      project: created.project,
      token: created.token,
      apiKey: created.apiKey.apiKey,
      key: created.apiKey.key,
    });
  });

  router.get('/projects/:projectId', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ project: await projects.getProject(req.params.projectId) });
  });

  router.patch('/projects/:projectId', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    const patch = parseInput(projectPatch, req.body);
    res.json({ project: await projects.updateProject(req.params.projectId, patch) });
  });

  router.get('/projects/:projectId/tokens', async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ tokens: await projects.listTokens(req.params.projectId) });
  });

  router.post('/projects/:projectId/tokens', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    const { name } = parseInput(named, req.body ?? {});
    res.status(201).json({ token: await projects.createToken(req.params.projectId, name) });
  });

  router.delete('/projects/:projectId/tokens/:tokenId', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({ token: await projects.revokeToken(req.params.projectId, req.params.tokenId) });
  });

  router.get('/projects/:projectId/api-keys', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({ apiKeys: await projects.listApiKeys(req.params.projectId) });
  });

  // The key itself is in this response only; afterwards only its prefix is shown.
  router.post('/projects/:projectId/api-keys', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    const { name } = parseInput(named, req.body ?? {});
    const { apiKey, key } = await projects.createApiKey(req.params.projectId, name);
    res.status(201).json({ apiKey, key });
  });

  router.delete('/projects/:projectId/api-keys/:keyId', async (req, res) => {
    authorizeProject(res, req.params.projectId, 'owner');
    res.json({ apiKey: await projects.revokeApiKey(req.params.projectId, req.params.keyId) });
  });

  return router;
}
