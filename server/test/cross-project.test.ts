import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let a: { projectId: string; token: string; apiKey: string };
let b: { projectId: string; token: string; apiKey: string };

/** What project B holds that project A must never see. */
const B_PROJECT_NAME = 'Bravo secret project';
const B_EXPERIMENT = 'bravo-secret-exp';
const B_EXPERIMENT_NAME = 'Bravo secret experiment name';
const B_GOAL = 'bravo-secret-goal';
const A_EXPERIMENT = 'alpha-own-exp';

beforeAll(async () => {
  server = await startTestServer();
  a = await server.createProject('Alpha');
  b = await server.createProject(B_PROJECT_NAME);
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const create = (p: typeof a, key: string, name: string) =>
    server.request('POST', `/api/projects/${p.projectId}/experiments`, {
      body: { key, name, variants: [{ key: 'control' }, { key: 'b' }], start: true },
      headers: as(p.apiKey),
    });
  expect((await create(a, A_EXPERIMENT, 'Alpha experiment')).status).toBe(201);
  expect((await create(b, B_EXPERIMENT, B_EXPERIMENT_NAME)).status).toBe(201);
  const events = await server.request('POST', '/v1/events', {
    body: {
      events: [
        { type: 'exposure', id: 'e1', visitorId: 'bv1', experiment: B_EXPERIMENT, variant: 'b' },
        {
          type: 'goal_candidate',
          id: 'e2',
          visitorId: 'bv1',
          goal: B_GOAL,
          kind: 'form_submit',
        },
      ],
    },
    headers: as(b.token),
  });
  expect(events.body).toMatchObject({ accepted: 2, notCounted: [] });
  await server.services.decisions.whenIdle();
});
afterAll(() => server.close());

/** Every /api route, as [method, path under the project, body] for project B. */
async function routesOfB(): Promise<[string, string, unknown][]> {
  const [tokenOfB] = await server.services.projects.listTokens(b.projectId);
  const [keyOfB] = await server.services.projects.listApiKeys(b.projectId);
  const exp = `/experiments/${B_EXPERIMENT}`;
  const goal = `/goals/${B_GOAL}`;
  return [
    ['GET', '', undefined],
    ['PATCH', '', { name: 'renamed by A' }],
    ['GET', '/tokens', undefined],
    ['POST', '/tokens', { name: 'A was here' }],
    ['DELETE', `/tokens/${tokenOfB!.id}`, undefined],
    ['GET', '/api-keys', undefined],
    ['POST', '/api-keys', { name: 'A was here' }],
    ['DELETE', `/api-keys/${keyOfB!.id}`, undefined],
    ['GET', '/experiments', undefined],
    ['GET', '/experiments?includeArchived=true', undefined],
    [
      'POST',
      '/experiments',
      { key: 'planted', name: 'Planted', variants: [{ key: 'x' }, { key: 'y' }] },
    ],
    ['GET', exp, undefined],
    ['PATCH', exp, { name: 'renamed by A' }],
    ['POST', `${exp}/start`, undefined],
    ['POST', `${exp}/pause`, undefined],
    ['POST', `${exp}/stop`, undefined],
    ['POST', `${exp}/archive`, undefined],
    ['POST', `${exp}/unarchive`, undefined],
    ['POST', `${exp}/variants`, { key: 'planted' }],
    ['PUT', `${exp}/allocation`, { weights: [0.1, 0.9] }],
    ['GET', `${exp}/results`, undefined],
    ['GET', `${exp}/results?goal=${B_GOAL}`, undefined],
    ['GET', `${exp}/decisions`, undefined],
    ['GET', `${exp}/allocations`, undefined],
    ['GET', '/goals', undefined],
    ['GET', goal, undefined],
    ['POST', `${goal}/confirm`, undefined],
    ['POST', `${goal}/reject`, undefined],
  ];
}

const secretsOfB = () => [B_PROJECT_NAME, B_EXPERIMENT, B_EXPERIMENT_NAME, B_GOAL, b.token];

describe('cross-project access', () => {
  it("denies project A's API key every route of project B, without any of B's data", async () => {
    const routes = await routesOfB();
    for (const [method, path, body] of routes) {
      const res = await server.request(method, `/api/projects/${b.projectId}${path}`, {
        body,
        headers: { authorization: `Bearer ${a.apiKey}` },
      });
      const label = `${method} ${path}`;
      expect(res.status, label).toBe(403);
      expect(res.body.error.code, label).toBe('forbidden');
      const text = JSON.stringify(res.body);
      for (const secret of secretsOfB()) expect(text, label).not.toContain(secret);
    }
    // The same with a project ID that does not exist.
    const unknown = await server.request('GET', '/api/projects/no-such-project/experiments', {
      headers: { authorization: `Bearer ${a.apiKey}` },
    });
    expect(unknown.status).toBe(403);
  });

  it('answers 400 naming the place of text the database cannot store', async () => {
    const as = { authorization: `Bearer ${a.apiKey}` };
    const body = await server.request('POST', `/api/projects/${a.projectId}/experiments`, {
      body: { key: 'nul-name', name: 'a\u0000b', variants: [{ key: 'x' }, { key: 'y' }] },
      headers: as,
    });
    expect(body.status).toBe(400);
    expect(body.body.error.details.field).toBe('body.name');
    const path = await server.request('GET', `/api/projects/${a.projectId}/experiments/a%00b`, {
      headers: as,
    });
    expect(path.status).toBe(400);
    expect(path.body.error.details.field).toBe('path');
    const query = await server.request(
      'GET',
      `/api/projects/${a.projectId}/experiments/x/results?goal=a%00b`,
      { headers: as },
    );
    expect(query.status).toBe(400);
    expect(query.body.error.details.field).toBe('query.goal');
    const form = await server.request('POST', `/api/projects/${a.projectId}/experiments`, {
      rawBody: 'key=x',
      headers: { ...as, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.details.field).toBe('content-type');
    const assign = await server.request('POST', '/v1/assign', {
      body: { visitorId: 'a\ud800' },
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(assign.status).toBe(400);
    expect(assign.body.error.details.field).toBe('body.visitorId');
  });

  it('keeps one live API key when two are revoked at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const c = await server.createProject(`Race ${round}`);
      const as = { authorization: `Bearer ${c.apiKey}` };
      const base = `/api/projects/${c.projectId}`;
      const second = await server.request('POST', `${base}/api-keys`, { body: {}, headers: as });
      const keys = (await server.request('GET', `${base}/api-keys`, { headers: as })).body.apiKeys;
      expect(keys).toHaveLength(2);
      expect(second.status).toBe(201);
      // Through the service: over HTTP each request would need a key the other one revokes.
      const results = await Promise.allSettled(
        keys.map((key: { id: string }) =>
          server.services.projects.revokeApiKey(c.projectId, key.id),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ status: 409 });
      const live = await server.db
        .knex('api_keys')
        .where({ project_id: c.projectId })
        .whereNull('revoked_at');
      expect(live).toHaveLength(1);
    }
  });

  it('keeps a project from revoking its last API key, and accepts only real origins', async () => {
    const c = await server.createProject('Locked out?');
    const as = { authorization: `Bearer ${c.apiKey}` };
    const base = `/api/projects/${c.projectId}`;
    const keys = (await server.request('GET', `${base}/api-keys`, { headers: as })).body.apiKeys;
    const last = await server.request('DELETE', `${base}/api-keys/${keys[0].id}`, { headers: as });
    expect(last.status).toBe(409);
    const second = await server.request('POST', `${base}/api-keys`, { body: {}, headers: as });
    expect(second.status).toBe(201);
    const revoked = await server.request('DELETE', `${base}/api-keys/${keys[0].id}`, {
      headers: as,
    });
    expect(revoked.status).toBe(200);
    const next = { authorization: `Bearer ${second.body.key}` };
    for (const bad of [
      'https://Shop.example',
      'https://shop.example:443',
      'https://u:p@x.example',
      'https://*.example',
    ]) {
      const res = await server.request('PATCH', base, {
        body: { allowedOrigins: [bad] },
        headers: next,
      });
      expect(res.status, bad).toBe(400);
      expect(res.body.error.details.field).toBe('allowedOrigins.0');
    }
    const good = await server.request('PATCH', base, {
      body: { allowedOrigins: ['https://shop.example', 'http://localhost:5173'] },
      headers: next,
    });
    expect(good.body.project.allowedOrigins).toEqual([
      'https://shop.example',
      'http://localhost:5173',
    ]);
    const huge = await server.request('PATCH', base, {
      body: { autotrack: { blob: 'x'.repeat(20_000) } },
      headers: next,
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error.details.field).toBe('autotrack');
    const deep = await server.request('PATCH', base, {
      rawBody: `{"autotrack":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      headers: { ...next, 'content-type': 'application/json' },
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error.details.field).toBe('autotrack');
  });

  it('lists only the project of the API key', async () => {
    const res = await server.request('GET', '/api/projects', {
      headers: { authorization: `Bearer ${a.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.projects.map((p: { id: string }) => p.id)).toEqual([a.projectId]);
    for (const secret of secretsOfB()) expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it("left B's data as it was", async () => {
    const experiment = await server.services.experiments.get(b.projectId, B_EXPERIMENT);
    expect(experiment).toMatchObject({
      name: B_EXPERIMENT_NAME,
      status: 'running',
      archivedAt: null,
      variants: [
        { key: 'control', name: 'control' },
        { key: 'b', name: 'b' },
      ],
    });
    expect(experiment.allocation.version).toBe(1);
    expect((await server.services.experiments.list(b.projectId)).map((e) => e.key)).toEqual([
      B_EXPERIMENT,
    ]);
    expect((await server.services.goals.get(b.projectId, B_GOAL)).status).toBe('candidate');
    expect((await server.services.projects.getProject(b.projectId)).name).toBe(B_PROJECT_NAME);
    const tokens = await server.services.projects.listTokens(b.projectId);
    expect(tokens.map((t) => t.revokedAt)).toEqual([null]);
    const keys = await server.services.projects.listApiKeys(b.projectId);
    expect(keys.map((k) => k.revokedAt)).toEqual([null]);
  });

  it("serves the same read routes to B's own key, so the denial above is not a missing route", async () => {
    const reads = (await routesOfB()).filter(([method]) => method === 'GET');
    for (const [, path] of reads) {
      const res = await server.request('GET', `/api/projects/${b.projectId}${path}`, {
        headers: { authorization: `Bearer ${b.apiKey}` },
      });
      expect(res.status, path).toBe(200);
    }
    const listed = await server.request('GET', `/api/projects/${b.projectId}/experiments`, {
      headers: { authorization: `Bearer ${b.apiKey}` },
    });
    expect(JSON.stringify(listed.body)).toContain(B_EXPERIMENT_NAME);
  });

  it('keeps project tokens to their own project on /v1, and out of /api', async () => {
    const config = await server.request('GET', `/v1/config?projectId=${a.projectId}`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(config.status).toBe(200);
    expect(config.body.projectId).toBe(b.projectId);
    expect(config.body.experiments.map((e: { key: string }) => e.key)).toEqual([B_EXPERIMENT]);
    expect(JSON.stringify(config.body)).not.toContain(A_EXPERIMENT);

    const assigned = await server.request('POST', '/v1/assign', {
      body: { visitorId: 'bv1', experiments: [A_EXPERIMENT] },
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(assigned.body.assignments).toEqual([
      { experiment: A_EXPERIMENT, variant: null, reason: 'unknown_experiment' },
    ]);

    // An exposure naming A's experiment, sent with B's token, never reaches A's counts.
    const sent = await server.request('POST', '/v1/events', {
      body: {
        events: [
          { type: 'exposure', id: 'x-a', visitorId: 'bv2', experiment: A_EXPERIMENT, variant: 'b' },
        ],
      },
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(sent.body.notCounted).toEqual([{ index: 0, reason: 'unknown_experiment' }]);
    const allocations = await server.request(
      'GET',
      `/api/projects/${a.projectId}/experiments/${A_EXPERIMENT}/allocations`,
      { headers: { authorization: `Bearer ${a.apiKey}` } },
    );
    expect(allocations.body.allocations.map((e: { visitors: number }) => e.visitors)).toEqual([0]);

    const secretOnV1 = await server.request('GET', '/v1/config', {
      headers: { authorization: `Bearer ${a.apiKey}` },
    });
    expect(secretOnV1.status).toBe(401);
    const tokenOnApi = await server.request('GET', `/api/projects/${b.projectId}/experiments`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(tokenOnApi.status).toBe(401);
    expect(JSON.stringify(tokenOnApi.body)).not.toContain(B_EXPERIMENT);
  });
});
