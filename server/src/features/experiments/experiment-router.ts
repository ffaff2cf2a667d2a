import { EXPERIMENT_KEY_PATTERN } from '@vibariant/sdk/core';
import { Router } from 'express';
import { z } from 'zod';
import { goalKey } from '../../contracts/events.js';
import { authorizeProject } from '../../http/auth.js';
import { parseInput } from '../../validation.js';
import {
  type ExperimentAction,
  type ExperimentService,
  MAX_VARIANTS,
} from './experiment-service.js';
import type { ExperimentStatus } from './experiment-store.js';

const KEY_RULE = 'must be 1 to 64 letters, digits, "-", "_" or "."';
const key = z.string().regex(EXPERIMENT_KEY_PATTERN, KEY_RULE);
const name = z.string().trim().min(1).max(200);
const hypothesis = z.string().trim().max(5000).nullable();
const variant = z.object({ key, name: name.optional() }).strict();
// Shapes only: the ranges are the stats engine's, checked by the service.
const prior = z.object({ alpha: z.number(), beta: z.number() }).strict();
const thresholds = z
  .object({
    minVisitorsPerVariant: z.number(),
    lossThreshold: z.number(),
    minProbabilityToBeBest: z.number(),
    ropeRelative: z.number(),
    ropeHalfWidth: z.number(),
  })
  .partial()
  .strict();
const banditMode = z.enum(['top-two', 'thompson', 'off']);

const createSchema = z
  .object({
    key,
    name,
    hypothesis: hypothesis.optional(),
    variants: z.array(variant).min(2).max(MAX_VARIANTS),
    primaryGoal: goalKey.nullable().optional(),
    prior: prior.nullable().optional(),
    thresholds: thresholds.nullable().optional(),
    banditMode: banditMode.optional(),
    start: z.boolean().optional(),
  })
  .strict();

const updateSchema = z
  .object({
    name,
    hypothesis,
    primaryGoal: goalKey.nullable(),
    prior: prior.nullable(),
    thresholds: thresholds.nullable(),
    banditMode,
  })
  .partial()
  .strict();

const allocationSchema = z
  .object({
    weights: z.array(z.number().min(0).max(1)).min(2).max(MAX_VARIANTS),
    /** Optional optimistic concurrency: the version the caller last saw. */
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();

const statuses = ['draft', 'running', 'paused', 'stopped'] as const;
const listQuery = z.object({
  includeArchived: z.enum(['true', 'false']).optional(),
  /** One status or several, comma-separated: `?status=running,paused`. */
  status: z
    .string()
    .refine(
      (s) => s.split(',').every((part) => (statuses as readonly string[]).includes(part)),
      `must be one or more of ${statuses.join(', ')}, comma-separated`,
    )
    .transform((s) => s.split(',') as ExperimentStatus[])
    .optional(),
});

const noBody = z.object({}).strict();

/** The request schemas these routes validate with, also the API reference's (http/openapi.ts). */
export const experimentInputs = {
  listQuery,
  create: createSchema,
  update: updateSchema,
  variant,
  allocation: allocationSchema,
  noBody,
};

/** What `POST …/experiments/:key/{action}` can do. */
export const EXPERIMENT_ACTIONS: readonly ExperimentAction[] = [
  'start',
  'pause',
  'stop',
  'archive',
  'unarchive',
];

/**
 * `/api/projects/:projectId/experiments`: list, read, create and change experiments, move them
 * through their lifecycle, add arms and set the allocation by hand. Every handler first checks
 * that the caller may act on the project (403 otherwise); bodies with unknown fields get 400.
 *
 * - `GET    …/experiments?includeArchived=true&status=running,paused` -> `{ experiments }`
 *   (decisions without density curves)
 * - `POST   …/experiments` `{ key, name, hypothesis?, variants: [{ key, name? }], primaryGoal?,
 *   prior?: { alpha, beta }, thresholds?, banditMode?, start? }` -> 201 `{ experiment }`
 * - `GET    …/experiments/:key` -> `{ experiment }` (latest decision, allocation in force)
 * - `PATCH  …/experiments/:key` `{ name?, hypothesis?, primaryGoal?, prior?, thresholds?,
 *   banditMode? }` -> `{ experiment }`
 * - `POST   …/experiments/:key/{start,pause,stop,archive,unarchive}` -> `{ experiment }`
 * - `POST   …/experiments/:key/variants` `{ key, name? }` -> 201 `{ experiment }`
 * - `PUT    …/experiments/:key/allocation` `{ weights, expectedVersion? }` -> `{ experiment }`
 *
 * Errors (see ExperimentService): 400 naming the field, 404 unknown experiment, 409 illegal
 * transition (details { action, from, to }), duplicate key or lost compare-and-set.
 */
export function experimentRouter(experiments: ExperimentService): Router {
  const router = Router();
  const base = '/projects/:projectId/experiments';

  router.get(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const query = parseInput(listQuery, req.query, 'query');
    res.json({
      experiments: await experiments.list(req.params.projectId, {
        includeArchived: query.includeArchived === 'true',
        statuses: query.status,
      }),
    });
  });

  router.post(base, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const body = parseInput(createSchema, req.body);
    res.status(201).json({ experiment: await experiments.create(req.params.projectId, body) });
  });

  router.get(`${base}/:key`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    res.json({ experiment: await experiments.get(req.params.projectId, req.params.key) });
  });

  router.patch(`${base}/:key`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const body = parseInput(updateSchema, req.body ?? {});
    res.json({
      experiment: await experiments.update(req.params.projectId, req.params.key, body),
    });
  });

  for (const action of EXPERIMENT_ACTIONS) {
    router.post(`${base}/:key/${action}`, async (req, res) => {
      authorizeProject(res, req.params.projectId);
      parseInput(noBody, req.body ?? {});
      res.json({
        experiment: await experiments.transition(req.params.projectId, req.params.key, action),
      });
    });
  }

  router.post(`${base}/:key/variants`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const body = parseInput(variant, req.body);
    res.status(201).json({
      experiment: await experiments.addVariant(req.params.projectId, req.params.key, body),
    });
  });

  router.put(`${base}/:key/allocation`, async (req, res) => {
    authorizeProject(res, req.params.projectId);
    const body = parseInput(allocationSchema, req.body);
    res.json({
      experiment: await experiments.setAllocation(
        req.params.projectId,
        req.params.key,
        body.weights,
        body.expectedVersion,
      ),
    });
  });

  return router;
}
