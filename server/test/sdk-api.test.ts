import cases from '@vibariant/sdk/assignment-cases.json' with { type: 'json' };
import { isValidExperimentKey } from '@vibariant/sdk/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/features/projects/credentials.js';
import { BROWSER_USER_AGENT, startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let token: string;
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ token, projectId } = await server.createProject());
});
afterAll(() => server.close());

const auth = () => ({ authorization: `Bearer ${token}` });

async function createExperiment(
  key: string,
  weights: number[],
  status: 'running' | 'paused' = 'running',
) {
  const at = new Date(server.clock.now());
  const { experiment } = await server.services.experimentStore.insert({
    id: newId(),
    projectId,
    key,
    name: key,
    hypothesis: null,
    status,
    variants: weights.map((_, i) => ({ key: `v${i}`, name: `Variant ${i}` })),
    primaryGoal: null,
    prior: null,
    thresholds: null,
    banditMode: 'off',
    weights,
    createdBy: 'api',
    createdAt: at,
    startedAt: at,
  });
  return experiment;
}

describe('POST /v1/assign', () => {
  it('gives the same variant as the shared test vectors (the SDK checks the same file)', async () => {
    const usable = cases.assignments.filter((c) => isValidExperimentKey(c.experimentKey));
    expect(usable.length).toBeGreaterThanOrEqual(8);
    const keys = new Map<string, number[]>();
    for (const c of usable) {
      const known = keys.get(c.experimentKey);
      if (known && JSON.stringify(known) !== JSON.stringify(c.weights)) continue;
      keys.set(c.experimentKey, c.weights);
    }
    for (const [key, weights] of keys) await createExperiment(key, weights);
    for (const c of usable) {
      if (JSON.stringify(keys.get(c.experimentKey)) !== JSON.stringify(c.weights)) continue;
      const res = await server.request('POST', '/v1/assign', {
        body: { visitorId: c.visitorId, experiments: [c.experimentKey] },
        headers: auth(),
      });
      expect(res.status).toBe(200);
      expect(res.body.assignments).toEqual([
        {
          experiment: c.experimentKey,
          variant: `v${c.variant}`,
          variantIndex: c.variant,
          allocationVersion: 1,
          source: 'hash',
        },
      ]);
    }
  });

  it('keeps a visitor in the variant of their first exposure', async () => {
    await createExperiment('sticky', [0.5, 0.5]);
    const before = await server.request('POST', '/v1/assign', {
      body: { visitorId: 'sticky-visitor', experiments: ['sticky'] },
      headers: auth(),
    });
    const hashed = before.body.assignments[0].variantIndex as number;
    const other = `v${1 - hashed}`;
    await server.request('POST', '/v1/events', {
      body: {
        events: [
          {
            type: 'exposure',
            id: 'sticky-1',
            visitorId: 'sticky-visitor',
            experiment: 'sticky',
            variant: other,
          },
        ],
      },
      headers: auth(),
    });
    const after = await server.request('POST', '/v1/assign', {
      body: { visitorId: 'sticky-visitor', experiments: ['sticky'] },
      headers: auth(),
    });
    expect(after.body.assignments[0]).toMatchObject({ variant: other, source: 'exposure' });
  });

  it('says why there is no variant, and validates its input', async () => {
    await createExperiment('on-hold', [0.5, 0.5], 'paused');
    const res = await server.request('POST', '/v1/assign', {
      body: { visitorId: 'x', experiments: ['on-hold', 'nope'] },
      headers: auth(),
    });
    expect(res.body.assignments).toEqual([
      { experiment: 'on-hold', variant: null, reason: 'not_running' },
      { experiment: 'nope', variant: null, reason: 'unknown_experiment' },
    ]);
    const bad = await server.request('POST', '/v1/assign', {
      body: { visitorId: '', experiments: ['a'] },
      headers: auth(),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('visitorId');
  });
});

describe('GET /v1/config', () => {
  it('lists running experiments with weights and version, with an ETag', async () => {
    const res = await server.request('GET', '/v1/config', { headers: auth() });
    expect(res.status).toBe(200);
    const sticky = res.body.experiments.find((e: { key: string }) => e.key === 'sticky');
    expect(sticky).toEqual({
      key: 'sticky',
      variants: ['v0', 'v1'],
      weights: [0.5, 0.5],
      allocationVersion: 1,
    });
    expect(res.body.experiments.some((e: { key: string }) => e.key === 'on-hold')).toBe(false);
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await server.request('GET', '/v1/config', {
      headers: { ...auth(), 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
    // A new allocation version changes the body and so the ETag.
    const experiment = await server.services.experimentStore.findByKey(projectId, 'sticky');
    await server.services.experimentStore.replaceAllocation(
      experiment!.id,
      1,
      [0.25, 0.75],
      new Date(server.clock.now()),
    );
    const changed = await server.request('GET', '/v1/config', {
      headers: { ...auth(), 'if-none-match': etag ?? '' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.experiments.find((e: { key: string }) => e.key === 'sticky')).toMatchObject(
      {
        weights: [0.25, 0.75],
        allocationVersion: 2,
      },
    );
  });
});

describe('CORS', () => {
  it('answers a preflight from any origin, without credentials', async () => {
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://someone.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('enforces a project’s allowed origins once the token is known', async () => {
    const other = await server.createProject('Locked down');
    await server.services.projects.updateProject(other.projectId, {
      allowedOrigins: ['https://app.example.com'],
    });
    const call = (origin: string) =>
      server.request('GET', '/v1/config', {
        headers: { authorization: `Bearer ${other.token}`, origin },
      });
    const allowed = await call('https://app.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const denied = await call('https://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.body.experiments).toBeUndefined();
    // Any origin may call a project that lists none.
    const open = await server.request('GET', '/v1/config', {
      headers: { ...auth(), origin: 'https://evil.example' },
    });
    expect(open.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After per token, and per IP', async () => {
    const limited = await server.listenApp({ rateLimitPerToken: 3, rateLimitPerIp: 1000 });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof limited.request>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.request('GET', '/v1/config', { headers: auth() });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.body.error).toMatchObject({ code: 'rate_limited', details: { field: 'token' } });
      // Another project's token has its own budget.
      const other = await server.createProject('Other budget');
      const fresh = await limited.request('GET', '/v1/config', {
        headers: { authorization: `Bearer ${other.token}` },
      });
      expect(fresh.status).toBe(200);
    } finally {
      await limited.close();
    }
    const perIp = await server.listenApp({ rateLimitPerToken: 1000, rateLimitPerIp: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await perIp.request('GET', '/v1/config', { headers: auth() })).status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      const res = await perIp.request('GET', '/v1/config', { headers: auth() });
      expect(res.body.error.details.field).toBe('ip');
    } finally {
      await perIp.close();
    }
  });
});

describe('bodies that are not UTF-8', () => {
  it('refuses them with 400 on body, where decoding would merge two event IDs', async () => {
    const events = (a: string, b: string) =>
      Buffer.concat([
        Buffer.from('{"events":[{"type":"exposure","id":"'),
        Buffer.from(a, 'latin1'),
        Buffer.from('","visitorId":"u1","experiment":"utf8","variant":"a","variants":["a","b"]},'),
        Buffer.from('{"type":"exposure","id":"'),
        Buffer.from(b, 'latin1'),
        Buffer.from('","visitorId":"u2","experiment":"utf8","variant":"b","variants":["a","b"]}]}'),
      ]);
    for (const path of ['/v1/events', '/v1/assign']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          ...auth(),
          'content-type': 'application/json',
          'user-agent': BROWSER_USER_AGENT,
        },
        body: events('\xff', '\xfe'),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { details: unknown } };
      expect(body.error.details).toEqual({ field: 'body' });
    }
    // The same bytes as UTF-8 text are two events.
    const ok = await server.ingest(
      token,
      JSON.parse(events('\xc3\xbf', '\xc3\xbe').toString()).events,
    );
    expect(ok.accepted).toBe(2);
  });
});
