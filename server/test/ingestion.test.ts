import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let token: string;
let projectId: string;
let apiKey: string;
let seq = 0;
const id = () => `evt-${++seq}`;

beforeAll(async () => {
  server = await startTestServer();
  ({ token, projectId, apiKey } = await server.createProject());
});
afterAll(() => server.close());

const post = (events: unknown[], extra: Record<string, unknown> = {}) =>
  server.request('POST', '/v1/events', {
    body: { events, ...extra },
    headers: { authorization: `Bearer ${token}` },
  });

const exposure = (visitorId: string, experiment: string, variant: string, more = {}) => ({
  type: 'exposure',
  id: id(),
  visitorId,
  experiment,
  variant,
  variants: ['control', 'b'],
  ...more,
});

const conversion = (visitorId: string, goal: string, more = {}) => ({
  type: 'conversion',
  id: id(),
  visitorId,
  goal,
  ...more,
});

async function stats(experimentKey: string, goal: string) {
  const experiment = await server.services.experimentStore.findByKey(projectId, experimentKey);
  if (!experiment) throw new Error(`no experiment ${experimentKey}`);
  const rows = (await server.db
    .knex('variant_exposure_stats')
    .where({ experiment_id: experiment.id })
    .select('variant_key')
    .sum({ visitors: 'visitors', conflicts: 'conflicting_exposures' })
    .groupBy('variant_key')
    .orderBy('variant_key')) as unknown as {
    variant_key: string;
    visitors: number;
    conflicts: number;
  }[];
  const goals = await server.db
    .knex('variant_goal_stats')
    .where({ experiment_id: experiment.id, goal_key: goal })
    .orderBy('variant_key');
  return {
    visitors: Object.fromEntries(rows.map((r) => [r.variant_key, Number(r.visitors)])),
    conflicts: Object.fromEntries(rows.map((r) => [r.variant_key, Number(r.conflicts)])),
    conversions: Object.fromEntries(goals.map((r) => [r.variant_key, r.conversions])),
  };
}

describe('POST /v1/events', () => {
  it('stores exposures and conversions and counts them per variant and goal', async () => {
    const res = await post([
      exposure('v1', 'hero', 'control'),
      exposure('v2', 'hero', 'b'),
      exposure('v3', 'hero', 'b'),
      conversion('v2', 'signup'),
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 4, duplicates: 0, rejected: [], notCounted: [] });
    expect(await stats('hero', 'signup')).toEqual({
      visitors: { b: 2, control: 1 },
      conflicts: { b: 0, control: 0 },
      conversions: { b: 1 },
    });
    const counts = await server.db
      .knex('events')
      .where({ project_id: projectId })
      .count({ n: '*' });
    expect(counts[0]?.n).toBe(4);
  });

  it('stores a re-sent event once and counts it once', async () => {
    const batch = [exposure('r1', 'resend', 'b'), conversion('r1', 'signup')];
    const first = await post(batch);
    const again = await post(batch);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2, rejected: [] });
    // The same ID twice inside one batch is one event too.
    const twice = exposure('r2', 'resend', 'control');
    expect((await post([twice, twice])).body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await stats('resend', 'signup')).toEqual({
      visitors: { b: 1, control: 1 },
      conflicts: { b: 0, control: 0 },
      conversions: { b: 1 },
    });
  });

  it('counts the first exposure; a later one naming another variant is a conflict', async () => {
    await post([exposure('f1', 'first', 'control')]);
    const later = await post([exposure('f1', 'first', 'b'), exposure('f1', 'first', 'control')]);
    expect(later.body.notCounted).toEqual([
      { index: 0, reason: 'already_exposed' },
      { index: 1, reason: 'already_exposed' },
    ]);
    expect(await stats('first', 'signup')).toEqual({
      visitors: { control: 1, b: 0 },
      conflicts: { control: 0, b: 1 },
      conversions: {},
    });
    // Within one batch the earliest exposure wins, whatever the order in the array.
    const t = server.clock.now();
    await post([
      exposure('f2', 'first', 'b', { timestamp: t - 1000 }),
      exposure('f2', 'first', 'control', { timestamp: t - 5000 }),
    ]);
    const row = await server.db.knex('exposures').where({ visitor_id: 'f2' }).first();
    expect(row.variant_key).toBe('control');
  });

  it('counts a conversion only after the first exposure, once per visitor and goal', async () => {
    const t = server.clock.now();
    const before = await post([conversion('c1', 'signup', { timestamp: t - 10_000 })]);
    expect(before.body.notCounted).toEqual([{ index: 0, reason: 'not_exposed' }]);
    await post([exposure('c1', 'conv', 'b', { timestamp: t - 5000 })]);
    // Same batch, but the conversion happened before the exposure: not counted.
    const earlier = await post([
      exposure('c2', 'conv', 'control', { timestamp: t - 1000 }),
      conversion('c2', 'signup', { timestamp: t - 2000 }),
    ]);
    expect(earlier.body.notCounted).toEqual([{ index: 1, reason: 'not_exposed' }]);
    const after = await post([
      conversion('c1', 'signup'),
      conversion('c1', 'signup'),
      conversion('c1', 'purchase'),
    ]);
    expect(after.body.notCounted).toEqual([{ index: 1, reason: 'already_converted' }]);
    expect(await stats('conv', 'signup')).toMatchObject({ conversions: { b: 1 } });
    expect(await stats('conv', 'purchase')).toMatchObject({ conversions: { b: 1 } });
  });

  it('counts one first exposure when concurrent batches race for the same visitor', async () => {
    // Every batch also creates the experiment: the losers see the winner's rows only after it
    // commits, and are counted again.
    const variants = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'control' : 'b'));
    const responses = await Promise.all(
      variants.map((variant) =>
        post([exposure('racer', 'race', variant), conversion('racer', 'signup')]),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(variants.map(() => 200));
    const exposed = await server.db
      .knex('exposures')
      .where({ project_id: projectId, visitor_id: 'racer' });
    expect(exposed).toHaveLength(1);
    const winner: string = exposed[0].variant_key;
    const loser = winner === 'b' ? 'control' : 'b';
    expect(await stats('race', 'signup')).toEqual({
      visitors: { [winner]: 1, [loser]: 0 },
      conflicts: { [winner]: 0, [loser]: 10 },
      conversions: { [winner]: 1 },
    });
    expect(responses.filter((r) => r.body.notCounted.length === 0)).toHaveLength(1);
  });

  it('accepts a text/plain body with the token in it, as sendBeacon sends', async () => {
    const res = await server.request('POST', '/v1/events', {
      rawBody: JSON.stringify({ token, events: [exposure('beacon', 'beacon', 'b')] }),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    const query = await server.request('POST', `/v1/events?token=${token}`, {
      rawBody: JSON.stringify({ events: [exposure('beacon2', 'beacon', 'b')] }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(query.body.accepted).toBe(1);
    expect((await stats('beacon', 'x')).visitors).toEqual({ b: 2 });
  });

  it('lists bad events with index and reason and stores the good ones', async () => {
    const res = await post([
      exposure('g1', 'mixed', 'b'),
      { type: 'exposure', id: id(), visitorId: 'g2', experiment: 'has space', variant: 'b' },
      { type: 'teleport', id: id(), visitorId: 'g3' },
      { ...conversion('g4', 'signup'), visitorId: '' },
      exposure('g5', 'mixed', 'control'),
      'not an object',
    ]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(
      res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field]),
    ).toEqual([
      [1, 'experiment'],
      [2, 'type'],
      [3, 'visitorId'],
      [5, 'event'],
    ]);
    expect((await stats('mixed', 'x')).visitors).toEqual({ b: 1, control: 1 });
  });

  it('rejects text and numbers the database cannot store, event by event', async () => {
    const res = await post([
      exposure('ok-1', 'storable', 'b'),
      { ...exposure('nul', 'storable', 'b'), id: 'with\u0000nul' },
      { type: 'page_view', id: id(), visitorId: 'ok-1', path: '/a\u0000b' },
      conversion('ok-1', '\udc00 lone surrogate'),
      { ...exposure('future', 'storable', 'b'), timestamp: 253_402_300_800_000 },
      { ...exposure('overflow', 'storable', 'b'), allocationVersion: 2 ** 31 },
      conversion('ok-1', 'signup'),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(
      res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field]),
    ).toEqual([
      [1, 'id'],
      [2, 'path'],
      [3, 'goal'],
      [4, 'timestamp'],
      [5, 'allocationVersion'],
    ]);
    expect(await stats('storable', 'signup')).toMatchObject({
      visitors: { b: 1 },
      conversions: { b: 1 },
    });
  });

  it('answers 415 for a body that is neither JSON nor text/plain', async () => {
    const form = await server.request('POST', '/v1/events', {
      rawBody: 'events=1',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatchObject({
      code: 'unsupported_media_type',
      details: { field: 'content-type' },
    });
  });

  it('rejects an invalid envelope with 400 naming the field', async () => {
    const none = await post([]);
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({
      code: 'invalid_request',
      details: { field: 'events' },
    });
    const tooMany = await post(Array.from({ length: 501 }, () => exposure('x', 'many', 'b')));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.field).toBe('events');
    const notJson = await server.request('POST', '/v1/events', {
      rawBody: '{"events": [',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
  });

  it('answers 413 as JSON for a body over 1 MB, and stores nothing of it', async () => {
    const big = { events: [{ ...exposure('big', 'big', 'b'), pad: 'x'.repeat(1_100_000) }] };
    const res = await server.request('POST', '/v1/events', {
      body: big,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', details: { field: 'body' } });
    expect(await server.db.knex('events').where({ visitor_id: 'big' })).toHaveLength(0);
  });

  it('answers 401 for a token that is not a token, wherever it is sent', async () => {
    for (const path of ['/v1/events?token=vv_proj_%00', '/v1/config?token=vv_proj_%00']) {
      const res = await server.request(path.startsWith('/v1/events') ? 'POST' : 'GET', path, {
        ...(path.startsWith('/v1/events')
          ? { body: { events: [exposure('t', 'auth', 'b')] } }
          : {}),
      });
      expect(res.status, path).toBe(401);
      expect(res.body.error.details.field).toBe('token');
    }
    const inBody = await server.request('POST', '/v1/events', {
      rawBody: JSON.stringify({ token: 'vv_proj_\u0000', events: [exposure('t', 'auth', 'b')] }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(inBody.status).toBe(401);
  });

  it('answers 401 without a token, with an unknown one, or with a secret key', async () => {
    const none = await server.request('POST', '/v1/events', { body: { events: [] } });
    expect(none.status).toBe(401);
    expect(none.body.error.details.field).toBe('token');
    for (const bad of ['vv_proj_unknown', apiKey]) {
      const res = await server.request('POST', '/v1/events', {
        body: { events: [exposure('u', 'auth', 'b')] },
        headers: { authorization: `Bearer ${bad}` },
      });
      expect(res.status).toBe(401);
    }
  });

  it('stores bot traffic without counting it', async () => {
    const res = await server.request('POST', '/v1/events', {
      body: { events: [exposure('bot1', 'bots', 'b'), exposure('human', 'bots', 'b')] },
      headers: {
        authorization: `Bearer ${token}`,
        'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      },
    });
    expect(res.body.accepted).toBe(2);
    expect(res.body.notCounted).toEqual([
      { index: 0, reason: 'bot' },
      { index: 1, reason: 'bot' },
    ]);
    const stored = await server.db.knex('events').where({ experiment_key: 'bots' });
    expect(stored.map((e) => e.is_bot)).toEqual([true, true]);
    expect(await server.services.experimentStore.findByKey(projectId, 'bots')).toBeUndefined();
  });

  it('corrects client clock skew from sentAt', async () => {
    const now = server.clock.now();
    // The client's clock is one hour behind: its "now" is now - 1h.
    const clientNow = now - 3_600_000;
    await post([exposure('skew', 'skew', 'b', { timestamp: clientNow - 2000 })], {
      sentAt: clientNow,
    });
    const row = await server.db.knex('exposures').where({ visitor_id: 'skew' }).first();
    expect(new Date(row.exposed_at).getTime()).toBe(now - 2000);
  });

  it('creates a code-first experiment only with declared variants, and never adds arms', async () => {
    const undeclared = await post([{ ...exposure('cf', 'codefirst', 'b'), variants: undefined }]);
    expect(undeclared.body.notCounted).toEqual([{ index: 0, reason: 'unknown_experiment' }]);
    await post([exposure('cf', 'codefirst', 'b')]);
    const experiment = await server.services.experimentStore.findByKey(projectId, 'codefirst');
    expect(experiment).toMatchObject({
      status: 'running',
      createdBy: 'code',
      variants: [
        { key: 'control', name: 'control' },
        { key: 'b', name: 'b' },
      ],
      allocation: { weights: [0.5, 0.5], version: 1 },
    });
    const newArm = await post([
      exposure('cf2', 'codefirst', 'c', { variants: ['control', 'b', 'c'] }),
    ]);
    expect(newArm.body.notCounted).toEqual([{ index: 0, reason: 'unknown_variant' }]);
    expect(
      (await server.services.experimentStore.findByKey(projectId, 'codefirst'))?.variants,
    ).toHaveLength(2);
  });

  it('keeps the allocation version the SDK claims only when the variant was an arm in it', async () => {
    await post([exposure('arm0', 'arms', 'b')]);
    await server.services.experiments.addVariant(projectId, 'arms', { key: 'c' });
    await post([
      exposure('arm1', 'arms', 'b', { allocationVersion: 1 }),
      exposure('arm2', 'arms', 'c', { allocationVersion: 1 }),
      exposure('arm3', 'arms', 'c', { allocationVersion: 2 }),
      exposure('arm4', 'arms', 'b', { allocationVersion: 7 }),
    ]);
    const rows = await server.db
      .knex('exposures')
      .where({ project_id: projectId })
      .whereIn('visitor_id', ['arm1', 'arm2', 'arm3', 'arm4'])
      .orderBy('visitor_id');
    expect(rows.map((r) => [r.visitor_id, r.variant_key, r.allocation_version])).toEqual([
      ['arm1', 'b', 1],
      ['arm2', 'c', 2],
      ['arm3', 'c', 2],
      ['arm4', 'b', 2],
    ]);
  });

  it('does not create experiments when the project turned code-first creation off', async () => {
    await server.services.projects.updateProject(projectId, { autoCreateExperiments: false });
    try {
      const res = await post([exposure('off', 'not-created', 'b')]);
      expect(res.body.notCounted).toEqual([{ index: 0, reason: 'unknown_experiment' }]);
      expect(
        await server.services.experimentStore.findByKey(projectId, 'not-created'),
      ).toBeUndefined();
    } finally {
      await server.services.projects.updateProject(projectId, { autoCreateExperiments: true });
    }
  });
});
