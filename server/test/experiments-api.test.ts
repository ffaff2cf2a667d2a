import { decide } from '@vibariant/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEventMap } from '../src/domain-events.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let seq = 0;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A fresh project, and helpers bound to its API key and project token. */
async function newProject() {
  const { projectId, token, apiKey } = await server.createProject();
  const api = (method: string, path: string, body?: unknown) =>
    server.request(method, `/api/projects/${projectId}${path}`, {
      body,
      headers: { authorization: `Bearer ${apiKey}` },
    });
  const ingest = (events: unknown[]) => server.ingest(token, events);
  /** First exposures of fresh visitors to `variant`, `conversions` of them converting on `goal`. */
  const traffic = async (
    experiment: string,
    variant: string,
    visitors: number,
    conversions = 0,
    goal = 'signup',
  ) => {
    const ids = Array.from({ length: visitors }, () => `visitor-${++seq}`);
    await ingest(
      ids.map((visitorId) => ({
        type: 'exposure',
        id: `x-${++seq}`,
        visitorId,
        experiment,
        variant,
      })),
    );
    if (conversions > 0) {
      await ingest(
        ids
          .slice(0, conversions)
          .map((visitorId) => ({ type: 'conversion', id: `c-${++seq}`, visitorId, goal })),
      );
    }
  };
  return { projectId, api, ingest, traffic };
}

const twoArms = [{ key: 'control' }, { key: 'b', name: 'Bigger button' }];

describe('creating experiments', () => {
  it('creates a draft with equal allocation, a status record and a first decision', async () => {
    const { projectId, api } = await newProject();
    const created: DomainEventMap['experiment:created'][] = [];
    const off = server.services.events.on('experiment:created', (e) => created.push(e));
    const res = await api('POST', '/experiments', {
      key: 'hero.cta_v2',
      name: 'Hero call to action',
      hypothesis: 'A bigger button gets more sign-ups',
      variants: twoArms,
    });
    off();
    expect(res.status).toBe(201);
    const experiment = res.body.experiment;
    expect(experiment).toMatchObject({
      key: 'hero.cta_v2',
      name: 'Hero call to action',
      hypothesis: 'A bigger button gets more sign-ups',
      status: 'draft',
      variants: [
        { key: 'control', name: 'control' },
        { key: 'b', name: 'Bigger button' },
      ],
      primaryGoal: null,
      prior: null,
      thresholds: null,
      banditMode: 'top-two',
      allocation: { weights: [0.5, 0.5], version: 1 },
      createdBy: 'api',
      createdAt: new Date(server.clock.now()).toISOString(),
      startedAt: null,
      archivedAt: null,
    });
    expect(experiment.decision).toEqual(
      decide({
        variants: [
          { key: 'control', visitors: 0, conversions: 0 },
          { key: 'b', visitors: 0, conversions: 0 },
        ],
        prior: null,
        history: [],
        bandit: 'top-two',
        allocationEpochs: null,
      }),
    );
    expect(experiment.decision.prior).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(created.map((e) => e.experiment.key)).toEqual(['hero.cta_v2']);
    expect(await server.services.experimentStore.statusChanges(experiment.id)).toEqual([
      { status: 'draft', changedAt: new Date(server.clock.now()) },
    ]);

    const read = await api('GET', '/experiments/hero.cta_v2');
    expect(read.status).toBe(200);
    expect(read.body.experiment).toEqual(experiment);
    // The SDK sees running experiments only.
    const config = await server.services.assignment.config(
      await server.services.projects.getProject(projectId),
    );
    expect(config.experiments).toEqual([]);
  });

  it('creates a running experiment with start, and keeps prior, thresholds and bandit', async () => {
    const { api } = await newProject();
    const res = await api('POST', '/experiments', {
      key: 'pricing',
      name: 'Pricing page',
      variants: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
      primaryGoal: 'checkout/done',
      prior: { alpha: 2, beta: 40 },
      thresholds: { minVisitorsPerVariant: 5, lossThreshold: 0.01 },
      banditMode: 'thompson',
      start: true,
    });
    expect(res.status).toBe(201);
    expect(res.body.experiment).toMatchObject({
      status: 'running',
      startedAt: new Date(server.clock.now()).toISOString(),
      primaryGoal: 'checkout/done',
      prior: { alpha: 2, beta: 40 },
      thresholds: { minVisitorsPerVariant: 5, lossThreshold: 0.01 },
      banditMode: 'thompson',
    });
    expect(res.body.experiment.allocation.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const decision = res.body.experiment.decision;
    expect(decision.prior).toEqual({ tier: 'user', alpha: 2, beta: 40 });
    expect(decision.thresholds).toMatchObject({ minVisitorsPerVariant: 5, lossThreshold: 0.01 });
    expect(decision.bandit).toBe('thompson');
  });

  it('names the invalid field in a 400 and stores nothing', async () => {
    const { api } = await newProject();
    const valid = { key: 'valid-key', name: 'Valid', variants: twoArms };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, key: 'has space' }, 'key'],
      [{ ...valid, key: 'x'.repeat(65) }, 'key'],
      [{ ...valid, key: 'colon:key' }, 'key'],
      [{ ...valid, name: '   ' }, 'name'],
      [{ ...valid, variants: [{ key: 'only' }] }, 'variants'],
      [
        { ...valid, variants: Array.from({ length: 51 }, (_, i) => ({ key: `v${i}` })) },
        'variants',
      ],
      [{ ...valid, variants: [{ key: 'a' }, { key: 'a' }] }, 'variants.1.key'],
      [{ ...valid, variants: [{ key: 'a' }, { key: 'b/c' }] }, 'variants.1.key'],
      [{ ...valid, variants: [{ key: 'a' }, { key: 'b', colour: 'red' }] }, 'variants.1'],
      [{ ...valid, prior: { alpha: 0, beta: 10 } }, 'prior.alpha'],
      [{ ...valid, prior: { alpha: 1, beta: 2e6 } }, 'prior.beta'],
      [{ ...valid, prior: { alpha: 1 } }, 'prior.beta'],
      [
        { ...valid, thresholds: { minVisitorsPerVariant: 1.5 } },
        'thresholds.minVisitorsPerVariant',
      ],
      [{ ...valid, thresholds: { lossThreshold: 2 } }, 'thresholds.lossThreshold'],
      [
        { ...valid, thresholds: { minProbabilityToBeBest: 0 } },
        'thresholds.minProbabilityToBeBest',
      ],
      [{ ...valid, thresholds: { ropeRelative: -0.1 } }, 'thresholds.ropeRelative'],
      [{ ...valid, thresholds: { maxVisitors: 10 } }, 'thresholds'],
      [{ ...valid, banditMode: 'greedy' }, 'banditMode'],
      [{ ...valid, primaryGoal: '' }, 'primaryGoal'],
      [{ ...valid, colour: 'red' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', '/experiments', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { field } });
      expect(res.body.error.message).toContain(field);
    }
    expect((await api('GET', '/experiments')).body.experiments).toEqual([]);
    expect((await api('GET', '/experiments/valid-key')).status).toBe(404);
  });

  it('answers 409 for a key the project already has, and keeps the first experiment', async () => {
    const { api } = await newProject();
    expect(
      (await api('POST', '/experiments', { key: 'dup', name: 'First', variants: twoArms })).status,
    ).toBe(201);
    const again = await api('POST', '/experiments', {
      key: 'dup',
      name: 'Second',
      variants: [{ key: 'x' }, { key: 'y' }],
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'conflict',
      details: { field: 'key', key: 'dup' },
    });
    const read = await api('GET', '/experiments/dup');
    expect(read.body.experiment.name).toBe('First');
    expect(read.body.experiment.variants.map((v: { key: string }) => v.key)).toEqual([
      'control',
      'b',
    ]);
  });

  it('answers 404 for an unknown experiment', async () => {
    const { api } = await newProject();
    const res = await api('GET', '/experiments/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      code: 'not_found',
      details: { resource: 'experiment', id: 'nope' },
    });
    expect((await api('POST', '/experiments/nope/start')).status).toBe(404);
    expect((await api('PATCH', '/experiments/nope', { name: 'x' })).status).toBe(404);
  });
});

describe('lifecycle', () => {
  it('follows draft -> running -> paused -> running -> stopped and records every change', async () => {
    const { api, traffic } = await newProject();
    await api('POST', '/experiments', { key: 'life', name: 'Life', variants: twoArms });
    const t0 = server.clock.now();

    const illegalFromDraft = await api('POST', '/experiments/life/stop');
    expect(illegalFromDraft.status).toBe(409);
    expect(illegalFromDraft.body.error.details).toMatchObject({
      action: 'stop',
      from: 'draft',
      to: 'stopped',
    });
    expect((await api('POST', '/experiments/life/pause')).body.error.details).toMatchObject({
      from: 'draft',
      to: 'paused',
    });

    server.clock.advance(60_000);
    const started = await api('POST', '/experiments/life/start');
    expect(started.status).toBe(200);
    expect(started.body.experiment).toMatchObject({
      status: 'running',
      startedAt: new Date(t0 + 60_000).toISOString(),
    });
    const again = await api('POST', '/experiments/life/start');
    expect(again.status).toBe(409);
    expect(again.body.error.details).toEqual({
      field: 'status',
      action: 'start',
      from: 'running',
      to: 'running',
    });

    await traffic('life', 'b', 3);
    server.clock.advance(60_000);
    expect((await api('POST', '/experiments/life/pause')).body.experiment.status).toBe('paused');
    expect((await api('POST', '/experiments/life/pause')).status).toBe(409);
    // Paused: new exposures are stored but not counted.
    await traffic('life', 'b', 2);

    server.clock.advance(60_000);
    const resumed = await api('POST', '/experiments/life/start');
    expect(resumed.body.experiment).toMatchObject({
      status: 'running',
      startedAt: new Date(t0 + 60_000).toISOString(),
    });

    server.clock.advance(300_000);
    const stopped = await api('POST', '/experiments/life/stop');
    expect(stopped.status).toBe(200);
    expect(stopped.body.experiment).toMatchObject({
      status: 'stopped',
      stoppedAt: new Date(t0 + 480_000).toISOString(),
      // Recomputed at the stop: its final decision.
      decidedAt: new Date(t0 + 480_000).toISOString(),
    });
    expect(
      stopped.body.experiment.decision.variants.map((v: { visitors: number }) => v.visitors),
    ).toEqual([0, 3]);
    for (const action of ['start', 'pause', 'stop']) {
      const res = await api('POST', `/experiments/life/${action}`);
      expect(res.status).toBe(409);
      expect(res.body.error.details.from).toBe('stopped');
    }

    const id = stopped.body.experiment.id;
    expect(await server.services.experimentStore.statusChanges(id)).toEqual([
      { status: 'draft', changedAt: new Date(t0) },
      { status: 'running', changedAt: new Date(t0 + 60_000) },
      { status: 'paused', changedAt: new Date(t0 + 120_000) },
      { status: 'running', changedAt: new Date(t0 + 180_000) },
      { status: 'stopped', changedAt: new Date(t0 + 480_000) },
    ]);
  });

  it('archives: hides from lists, stops a running experiment, accepts only unarchive', async () => {
    const { projectId, api, ingest } = await newProject();
    await api('POST', '/experiments', {
      key: 'arch-run',
      name: 'R',
      variants: twoArms,
      start: true,
    });
    await api('POST', '/experiments', { key: 'arch-draft', name: 'D', variants: twoArms });
    await api('POST', '/experiments', { key: 'kept', name: 'K', variants: twoArms, start: true });

    server.clock.advance(1000);
    const archived = await api('POST', '/experiments/arch-run/archive');
    expect(archived.status).toBe(200);
    const at = new Date(server.clock.now()).toISOString();
    expect(archived.body.experiment).toMatchObject({
      status: 'stopped',
      stoppedAt: at,
      archivedAt: at,
    });
    const draft = await api('POST', '/experiments/arch-draft/archive');
    expect(draft.body.experiment).toMatchObject({ status: 'draft', archivedAt: at });

    const keys = (res: { body: { experiments: { key: string }[] } }) =>
      res.body.experiments.map((e) => e.key).sort();
    expect(keys(await api('GET', '/experiments'))).toEqual(['kept']);
    expect(keys(await api('GET', '/experiments?includeArchived=true'))).toEqual([
      'arch-draft',
      'arch-run',
      'kept',
    ]);
    expect(keys(await api('GET', '/experiments?status=running'))).toEqual(['kept']);
    expect(
      keys(await api('GET', '/experiments?status=stopped,draft&includeArchived=true')),
    ).toEqual(['arch-draft', 'arch-run']);
    const badStatus = await api('GET', '/experiments?status=running,finished');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details.field).toBe('status');
    // Still readable by key.
    expect((await api('GET', '/experiments/arch-run')).body.experiment.archivedAt).toBe(at);

    // Archived: never counted, never in the SDK's configuration.
    const res = await ingest([
      {
        type: 'exposure',
        id: 'arch-x1',
        visitorId: 'arch-v1',
        experiment: 'arch-run',
        variant: 'b',
      },
    ]);
    expect(res.notCounted).toEqual([{ index: 0, reason: 'experiment_not_running' }]);
    const config = await server.services.assignment.config(
      await server.services.projects.getProject(projectId),
    );
    expect(config.experiments.map((e) => e.key)).toEqual(['kept']);

    for (const action of ['start', 'pause', 'stop', 'archive']) {
      const refused = await api('POST', `/experiments/arch-draft/${action}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.details).toMatchObject({ action, from: 'archived' });
    }
    const patched = await api('PATCH', '/experiments/arch-draft', { name: 'New name' });
    expect(patched.status).toBe(409);

    const unarchived = await api('POST', '/experiments/arch-draft/unarchive');
    expect(unarchived.body.experiment).toMatchObject({ status: 'draft', archivedAt: null });
    expect(
      (await api('POST', '/experiments/arch-draft/unarchive')).body.error.details,
    ).toMatchObject({ action: 'unarchive', from: 'draft' });
    expect((await api('POST', '/experiments/arch-draft/start')).body.experiment.status).toBe(
      'running',
    );
  });

  it('refuses a body on a transition and a second concurrent start', async () => {
    const { projectId, api } = await newProject();
    await api('POST', '/experiments', { key: 'race', name: 'Race', variants: twoArms });
    const withBody = await api('POST', '/experiments/race/start', { force: true });
    expect(withBody.status).toBe(400);
    expect(withBody.body.error.message).toContain('force');
    const experiment = await server.services.experiments.get(projectId, 'race');
    expect(experiment.status).toBe('draft');
    // A transition from a state the experiment has left changes nothing.
    const at = new Date(server.clock.now());
    const first = await server.services.experimentStore.transition(
      experiment.id,
      { status: 'draft', archived: false },
      'running',
      at,
    );
    const second = await server.services.experimentStore.transition(
      experiment.id,
      { status: 'draft', archived: false },
      'running',
      at,
    );
    expect(first?.status).toBe('running');
    expect(second).toBeUndefined();
    expect(
      (await server.services.experimentStore.statusChanges(experiment.id)).map((c) => c.status),
    ).toEqual(['draft', 'running']);
  });
});

describe('changing an experiment', () => {
  it('recomputes the decision when the prior changes, and announces the change', async () => {
    const { api, traffic } = await newProject();
    await api('POST', '/experiments', {
      key: 'prior',
      name: 'Prior',
      variants: twoArms,
      primaryGoal: 'signup',
      start: true,
    });
    await traffic('prior', 'control', 20, 2);
    await traffic('prior', 'b', 20, 5);
    const before = (await api('GET', '/experiments/prior')).body.experiment.decision;
    expect(before.prior).toEqual({ tier: 'default', alpha: 1, beta: 19 });
    expect(before.variants[1].posterior).toEqual({ alpha: 1 + 5, beta: 19 + 15 });

    const updates: DomainEventMap['experiment:updated'][] = [];
    const off = server.services.events.on('experiment:updated', (e) => updates.push(e));
    const res = await api('PATCH', '/experiments/prior', { prior: { alpha: 3, beta: 7 } });
    off();
    expect(res.status).toBe(200);
    expect(res.body.experiment.prior).toEqual({ alpha: 3, beta: 7 });
    expect(res.body.experiment.decision.prior).toEqual({ tier: 'user', alpha: 3, beta: 7 });
    expect(res.body.experiment.decision.variants[1].posterior).toEqual({
      alpha: 3 + 5,
      beta: 7 + 15,
    });
    expect(updates.map((u) => u.experiment.prior)).toEqual([{ alpha: 3, beta: 7 }]);
    await server.services.decisions.whenIdle();
    const stored = (await api('GET', '/experiments/prior')).body.experiment.decision;
    expect(stored).toEqual(
      decide({
        variants: [
          { key: 'control', visitors: 20, conversions: 2 },
          { key: 'b', visitors: 20, conversions: 5 },
        ],
        prior: { alpha: 3, beta: 7 },
        bandit: 'top-two',
        allocationEpochs: [{ weights: [0.5, 0.5], visitors: [20, 20] }],
      }),
    );

    const cleared = await api('PATCH', '/experiments/prior', { prior: null });
    expect(cleared.body.experiment.prior).toBeNull();
    expect(cleared.body.experiment.decision.prior).toEqual({ tier: 'default', alpha: 1, beta: 19 });
  });

  it('recomputes on thresholds, bandit mode and primary goal; validates like create', async () => {
    const { api, traffic } = await newProject();
    await api('POST', '/experiments', {
      key: 'thr',
      name: 'Thresholds',
      variants: twoArms,
      primaryGoal: 'signup',
      start: true,
    });
    await traffic('thr', 'control', 8, 1, 'signup');
    await traffic('thr', 'b', 8, 4, 'signup');
    const read = async () => (await api('GET', '/experiments/thr')).body.experiment;
    expect((await read()).decision.status).toBe('collecting_data');

    const lowered = await api('PATCH', '/experiments/thr', {
      thresholds: { minVisitorsPerVariant: 5 },
    });
    expect(lowered.body.experiment.thresholds).toEqual({ minVisitorsPerVariant: 5 });
    expect(lowered.body.experiment.decision.thresholds.minVisitorsPerVariant).toBe(5);
    expect(lowered.body.experiment.decision.status).not.toBe('collecting_data');

    const bad = await api('PATCH', '/experiments/thr', { thresholds: { ropeHalfWidth: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('thresholds.ropeHalfWidth');
    expect((await read()).thresholds).toEqual({ minVisitorsPerVariant: 5 });

    const mode = await api('PATCH', '/experiments/thr', { banditMode: 'off' });
    expect(mode.body.experiment.banditMode).toBe('off');
    expect(mode.body.experiment.decision.bandit).toBe('off');

    // Another goal without conversions: the decision sees none.
    const goal = await api('PATCH', '/experiments/thr', { primaryGoal: 'purchase' });
    expect(goal.body.experiment.primaryGoal).toBe('purchase');
    expect(
      goal.body.experiment.decision.variants.map((v: { conversions: number }) => v.conversions),
    ).toEqual([0, 0]);
    const noGoal = await api('PATCH', '/experiments/thr', { primaryGoal: null });
    // No primary goal: the confirmed goal with the most conversions (signup, named in code).
    expect(
      noGoal.body.experiment.decision.variants.map((v: { conversions: number }) => v.conversions),
    ).toEqual([1, 4]);

    const renamed = await api('PATCH', '/experiments/thr', {
      name: 'Renamed',
      hypothesis: '',
    });
    expect(renamed.body.experiment).toMatchObject({ name: 'Renamed', hypothesis: null });
    expect((await api('PATCH', '/experiments/thr', { key: 'other' })).status).toBe(400);
    expect((await api('PATCH', '/experiments/thr', { status: 'stopped' })).status).toBe(400);
    expect(
      (await api('PATCH', '/experiments/thr', { prior: { alpha: -1, beta: 1 } })).body.error.details
        .field,
    ).toBe('prior.alpha');
  });
});

describe('arms and allocation', () => {
  it('adds an arm as a new allocation version with equal weights', async () => {
    const { api, traffic } = await newProject();
    await api('POST', '/experiments', {
      key: 'arms',
      name: 'Arms',
      variants: twoArms,
      start: true,
    });
    await traffic('arms', 'control', 4);
    await traffic('arms', 'b', 2);

    server.clock.advance(5000);
    const allocations: DomainEventMap['allocation:changed'][] = [];
    const off = server.services.events.on('allocation:changed', (e) => allocations.push(e));
    const res = await api('POST', '/experiments/arms/variants', { key: 'c', name: 'Third' });
    off();
    expect(res.status).toBe(201);
    const experiment = res.body.experiment;
    expect(experiment.variants).toEqual([
      { key: 'control', name: 'control' },
      { key: 'b', name: 'Bigger button' },
      { key: 'c', name: 'Third' },
    ]);
    expect(experiment.allocation).toMatchObject({ version: 2, weights: [1 / 3, 1 / 3, 1 / 3] });
    expect(allocations.map((a) => a.allocation.version)).toEqual([2]);
    expect(experiment.decision.variants.map((v: { key: string }) => v.key)).toEqual([
      'control',
      'b',
      'c',
    ]);

    await traffic('arms', 'c', 3);
    const history = await api('GET', '/experiments/arms/allocations');
    expect(history.status).toBe(200);
    const t = new Date(server.clock.now()).toISOString();
    expect(history.body.allocations).toEqual([
      {
        version: 1,
        startedAt: expect.any(String),
        endedAt: t,
        variants: [
          { key: 'control', weight: 0.5, visitors: 4 },
          { key: 'b', weight: 0.5, visitors: 2 },
          { key: 'c', weight: 0, visitors: 0 },
        ],
        visitors: 6,
      },
      {
        version: 2,
        startedAt: t,
        endedAt: null,
        variants: [
          { key: 'control', weight: 1 / 3, visitors: 0 },
          { key: 'b', weight: 1 / 3, visitors: 0 },
          { key: 'c', weight: 1 / 3, visitors: 3 },
        ],
        visitors: 3,
      },
    ]);

    const duplicate = await api('POST', '/experiments/arms/variants', { key: 'b' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.details).toEqual({ field: 'key', key: 'b' });
    const invalid = await api('POST', '/experiments/arms/variants', { key: 'no spaces' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.field).toBe('key');
    expect((await api('POST', '/experiments/arms/variants', {})).body.error.details.field).toBe(
      'key',
    );

    // A writer holding an older version loses the compare-and-set.
    const stale = await server.services.experimentStore.replaceVariants(
      experiment.id,
      1,
      [...experiment.variants, { key: 'd', name: 'd' }],
      [0.25, 0.25, 0.25, 0.25],
      new Date(server.clock.now()),
    );
    expect(stale).toBeUndefined();

    await api('POST', '/experiments/arms/stop');
    const stopped = await api('POST', '/experiments/arms/variants', { key: 'late' });
    expect(stopped.status).toBe(409);
    expect(stopped.body.error.details).toMatchObject({ action: 'add_variant', from: 'stopped' });
    const epochs = await server.services.experimentStore.listEpochs(experiment.id);
    expect(epochs.map((e) => e.version)).toEqual([1, 2]);
  });

  it('sets the allocation by hand only with the bandit off, on a draft or paused experiment', async () => {
    const { api } = await newProject();
    await api('POST', '/experiments', {
      key: 'manual',
      name: 'M',
      variants: twoArms,
      banditMode: 'off',
    });
    await api('POST', '/experiments', { key: 'bandit', name: 'B', variants: twoArms });

    const set = await api('PUT', '/experiments/manual/allocation', {
      weights: [0.2, 0.8],
      expectedVersion: 1,
    });
    expect(set.status).toBe(200);
    expect(set.body.experiment.allocation).toMatchObject({ weights: [0.2, 0.8], version: 2 });

    const stale = await api('PUT', '/experiments/manual/allocation', {
      weights: [0.5, 0.5],
      expectedVersion: 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toEqual({
      field: 'allocation.version',
      expectedVersion: 1,
      currentVersion: 2,
    });
    const sum = await api('PUT', '/experiments/manual/allocation', { weights: [0.3, 0.6] });
    expect(sum.status).toBe(400);
    expect(sum.body.error.details.field).toBe('weights');
    const count = await api('PUT', '/experiments/manual/allocation', { weights: [0.2, 0.3, 0.5] });
    expect(count.status).toBe(400);
    expect(count.body.error.details.field).toBe('weights');
    const negative = await api('PUT', '/experiments/manual/allocation', { weights: [-0.5, 1.5] });
    expect(negative.body.error.details.field).toBe('weights.0');

    const bandit = await api('PUT', '/experiments/bandit/allocation', { weights: [0.2, 0.8] });
    expect(bandit.status).toBe(409);
    expect(bandit.body.error.details).toEqual({ field: 'banditMode', banditMode: 'top-two' });

    await api('POST', '/experiments/manual/start');
    const running = await api('PUT', '/experiments/manual/allocation', { weights: [0.5, 0.5] });
    expect(running.status).toBe(409);
    expect(running.body.error.details).toMatchObject({ from: 'running' });
    await api('POST', '/experiments/manual/pause');
    const paused = await api('PUT', '/experiments/manual/allocation', { weights: [0.9, 0.1] });
    expect(paused.body.experiment.allocation).toMatchObject({ weights: [0.9, 0.1], version: 3 });

    const read = (await api('GET', '/experiments/manual')).body.experiment;
    expect(
      (await server.services.experimentStore.listEpochs(read.id)).map((e) => e.weights),
    ).toEqual([
      [0.5, 0.5],
      [0.2, 0.8],
      [0.9, 0.1],
    ]);
  });
});

describe('historical prior', () => {
  it('fits the prior of a new experiment to the final rates of stopped ones', async () => {
    const { api, traffic } = await newProject();
    const arms: [string, [number, number], [number, number]][] = [
      ['h1', [10, 2], [10, 4]],
      ['h2', [10, 1], [10, 3]],
      ['h3', [10, 2], [10, 5]],
    ];
    for (const [key, control, b] of arms) {
      await api('POST', '/experiments', {
        key,
        name: key,
        variants: twoArms,
        primaryGoal: 'signup',
        start: true,
      });
      await traffic(key, 'control', control[0], control[1]);
      await traffic(key, 'b', b[0], b[1]);
      expect((await api('POST', `/experiments/${key}/stop`)).status).toBe(200);
    }
    // Moment matching (STATS.md section 2), computed here independently.
    const rates = arms.flatMap(([, c, b]) => [c[1] / c[0], b[1] / b[0]]);
    const mu = rates.reduce((a, x) => a + x, 0) / rates.length;
    const v = rates.reduce((a, x) => a + (x - mu) ** 2, 0) / (rates.length - 1);
    const s = Math.min((mu * (1 - mu)) / v - 1, 100);

    const created = await api('POST', '/experiments', { key: 'h4', name: 'h4', variants: twoArms });
    const prior = created.body.experiment.decision.prior;
    expect(prior.tier).toBe('historical');
    expect(prior.alpha).toBeCloseTo(mu * s, 10);
    expect(prior.beta).toBeCloseTo((1 - mu) * s, 10);
  });
});
