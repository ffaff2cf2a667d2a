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

it("invites a first owner while nobody has signed in, without revoking another start's link", async () => {
  const first = await services.team.inviteFirstOwner('Owner@Example.com');
  const second = await services.team.inviteFirstOwner('owner@example.com');
  expect(first).toMatchObject({ email: 'owner@example.com' });
  const tokenOf = (link: string | undefined) => new URL(link ?? '').searchParams.get('token');
  const signedIn = await services.accounts.signInWithLink(tokenOf(first?.link));
  expect(signedIn.joinedProjectId).toBe(first?.projectId);
  expect(await services.accounts.roleOf(first!.projectId, signedIn.user.id)).toBe('owner');
  // The other start's link still works; and now that someone is in, no more links.
  expect((await services.accounts.signInWithLink(tokenOf(second?.link))).user.id).toBe(
    signedIn.user.id,
  );
  expect(await services.team.inviteFirstOwner('owner@example.com')).toBeNull();
});
