import { Router } from 'express';
import type { Services } from '../composition-root.js';
import { projectRouter } from '../features/projects/project-router.js';

/** Every `/api` feature router (behind `requireApiKey`). */
export function managementRouter(services: Services): Router {
  const router = Router();
  router.use(projectRouter(services.projects));
  return router;
}
