import { Router } from 'express';
import type { Services } from '../composition-root.js';
import { activityRouter } from '../features/activity/activity-router.js';
import { resultsRouter } from '../features/decisions/results-router.js';
import { experimentRouter } from '../features/experiments/experiment-router.js';
import { goalRouter } from '../features/goals/goal-router.js';
import { notificationRouter } from '../features/notifications/notification-router.js';
import { projectRouter } from '../features/projects/project-router.js';
import { teamRouter } from '../features/teams/team-router.js';
import { webhookRouter } from '../features/webhooks/webhook-router.js';

/** Every `/api` feature router (behind `requireCaller`). */
export function managementRouter(services: Services): Router {
  const router = Router();
  router.use(projectRouter(services.projects));
  router.use(experimentRouter(services.experiments));
  router.use(resultsRouter(services.results));
  router.use(goalRouter(services.goals));
  router.use(teamRouter(services.team, services.accounts));
  router.use(activityRouter(services.activity));
  router.use(notificationRouter(services.notifications));
  router.use(webhookRouter(services.webhooks));
  return router;
}
