import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type Services } from '../src/composition-root.js';
import type { Database } from '../src/db/database.js';
import { ensureFirstProject } from '../src/features/projects/first-project.js';
import { createTestDatabase } from './support/test-database.js';

let db: Database;
let services: Services;

beforeAll(async () => {
  db = await createTestDatabase();
  services = createServices({ db, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await services.stop();
  await db.close();
});

it('creates one working project on an empty database, and none afterwards', async () => {
  const first = await ensureFirstProject(services.projects);
  expect(first?.projectToken).toMatch(/^vv_proj_[\w-]{24}$/);
  expect(first?.apiKey).toMatch(/^vv_sk_[\w-]{43}$/);
  expect(await services.projects.projectForToken(first!.projectToken)).toMatchObject({
    id: first?.projectId,
    name: 'My project',
  });
  expect(await services.projects.apiKeyForSecret(first!.apiKey)).toMatchObject({
    projectId: first?.projectId,
  });
  expect(await ensureFirstProject(services.projects)).toBeNull();
  expect(await services.projects.listProjects()).toHaveLength(1);
});
