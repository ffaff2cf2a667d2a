import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let projectId: string;
let token: string;
let apiKey: string;
let seq = 0;

beforeAll(async () => {
  server = await startTestServer();
  ({ projectId, token, apiKey } = await server.createProject());
});
afterAll(() => server.close());

const api = (method: string, path: string, body?: unknown) =>
  server.request(method, `/api/projects/${projectId}${path}`, {
    body,
    headers: { authorization: `Bearer ${apiKey}` },
  });

const ingest = (events: unknown[]) => server.ingest(token, events);

const exposure = (visitorId: string, experiment: string, variant: string) => ({
  type: 'exposure',
  id: `x-${++seq}`,
  visitorId,
  experiment,
  variant,
});
const candidate = (visitorId: string, goal: string) => ({
  type: 'goal_candidate',
  id: `g-${++seq}`,
  visitorId,
  goal,
  kind: 'click',
  label: 'Buy now',
  selector: 'button#buy',
});

/** A goal key with the characters a URL path has to encode. */
const BUY = 'click:button#buy now/1?';

const conversionsOf = (decision: { variants: { key: string; conversions: number }[] }) =>
  Object.fromEntries(decision.variants.map((v) => [v.key, v.conversions]));

describe('goals', () => {
  it('lists detected candidates with counts, and confirming shows their earlier conversions', async () => {
    const created = await api('POST', '/experiments', {
      key: 'checkout',
      name: 'Checkout',
      variants: [{ key: 'control' }, { key: 'b' }],
      start: true,
    });
    expect(created.status).toBe(201);
    await ingest([
      exposure('u1', 'checkout', 'control'),
      exposure('u2', 'checkout', 'control'),
      exposure('u3', 'checkout', 'control'),
      exposure('u4', 'checkout', 'b'),
      exposure('u5', 'checkout', 'b'),
    ]);
    server.clock.advance(1000);
    const sent = await ingest([
      candidate('u1', BUY),
      candidate('u4', BUY),
      candidate('u5', BUY),
      // Again for u5: an event, not another converted visitor.
      candidate('u5', BUY),
      // Never exposed: an event, not a conversion.
      candidate('stranger', BUY),
      candidate('u2', 'scroll-depth'),
    ]);
    expect(sent.notCounted).toEqual([
      { index: 3, reason: 'already_converted' },
      { index: 4, reason: 'not_exposed' },
    ]);

    const listed = await api('GET', '/goals');
    expect(listed.status).toBe(200);
    expect(listed.body.goals).toEqual([
      {
        key: BUY,
        status: 'candidate',
        source: 'detected',
        kind: 'click',
        label: 'Buy now',
        selector: 'button#buy',
        events: 5,
        firstSeenAt: new Date(server.clock.now()).toISOString(),
        lastSeenAt: new Date(server.clock.now()).toISOString(),
        convertedVisitors: 3,
        experiments: 1,
      },
      expect.objectContaining({
        key: 'scroll-depth',
        status: 'candidate',
        events: 1,
        convertedVisitors: 1,
      }),
    ]);
    expect((await api('GET', '/goals?status=confirmed')).body.goals).toEqual([]);
    expect((await api('GET', '/goals?status=candidate')).body.goals).toHaveLength(2);
    const badFilter = await api('GET', '/goals?status=maybe');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.details.field).toBe('status');

    // No confirmed goal yet: the decision is about no goal, so it counts no conversions.
    const before = await api('GET', '/experiments/checkout/results');
    expect(before.status).toBe(200);
    expect(before.body.goal).toBeNull();
    expect(conversionsOf(before.body.decision)).toEqual({ control: 0, b: 0 });
    expect(before.body.experiment).toMatchObject({ key: 'checkout', status: 'running' });

    server.clock.advance(120_000);
    const encoded = encodeURIComponent(BUY);
    const confirmed = await api('POST', `/goals/${encoded}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.goal).toMatchObject({
      key: BUY,
      status: 'confirmed',
      convertedVisitors: 3,
    });
    expect((await api('GET', `/goals/${encoded}`)).body.goal.status).toBe('confirmed');

    // The conversions recorded before confirmation count at once.
    const results = await api('GET', `/experiments/checkout/results?goal=${encoded}`);
    expect(results.status).toBe(200);
    expect(results.body.goal).toBe(BUY);
    expect(results.body.decision.variants).toMatchObject([
      { key: 'control', visitors: 3, conversions: 1 },
      { key: 'b', visitors: 2, conversions: 2 },
    ]);
    // It is now the experiment's decision goal: the stored decision was recomputed for it.
    await server.services.decisions.whenIdle();
    const stored = (await api('GET', '/experiments/checkout')).body.experiment.decision;
    expect(conversionsOf(stored)).toEqual({ control: 1, b: 2 });
    expect((await api('GET', '/experiments/checkout/results')).body.goal).toBe(BUY);
    const history = (await api('GET', '/experiments/checkout/decisions')).body.decisions;
    expect(history.at(-1)).toMatchObject({
      goal: BUY,
      takenAt: new Date(server.clock.now()).toISOString(),
    });
    expect(conversionsOf(history.at(-1).decision)).toEqual({ control: 1, b: 2 });
    expect(history.at(-1).decision.variants[0].density).toBeUndefined();
    expect((await api('GET', '/experiments/checkout/decisions?limit=1')).body.decisions).toEqual([
      history.at(-1),
    ]);

    // A candidate can be asked for by name before anyone confirms it.
    const other = await api('GET', '/experiments/checkout/results?goal=scroll-depth');
    expect(conversionsOf(other.body.decision)).toEqual({ control: 1, b: 0 });

    const rejected = await api('POST', `/goals/${encoded}/reject`);
    expect(rejected.body.goal.status).toBe('rejected');
    await server.services.decisions.whenIdle();
    const afterReject = (await api('GET', '/experiments/checkout')).body.experiment.decision;
    expect(conversionsOf(afterReject)).toEqual({ control: 0, b: 0 });
    // A rejected goal's conversions are still kept and readable by name.
    const kept = await api('GET', `/experiments/checkout/results?goal=${encoded}`);
    expect(conversionsOf(kept.body.decision)).toEqual({ control: 1, b: 2 });
    // Rejected stays rejected when the heuristic proposes it again.
    await ingest([candidate('u3', BUY)]);
    expect((await api('GET', `/goals/${encoded}`)).body.goal).toMatchObject({
      status: 'rejected',
      events: 6,
      convertedVisitors: 4,
    });
  });

  it('answers 404 for an unknown goal and 400 for results about one', async () => {
    const confirm = await api('POST', '/goals/no%20such%20goal/confirm');
    expect(confirm.status).toBe(404);
    expect(confirm.body.error).toMatchObject({
      code: 'not_found',
      details: { resource: 'goal', id: 'no such goal' },
    });
    expect((await api('POST', '/goals/no-such-goal/reject')).status).toBe(404);
    expect((await api('GET', '/goals/no-such-goal')).status).toBe(404);
    const results = await api('GET', '/experiments/checkout/results?goal=no-such-goal');
    expect(results.status).toBe(400);
    expect(results.body.error.details).toMatchObject({ field: 'goal', goal: 'no-such-goal' });
    expect((await api('GET', '/experiments/nope/results')).status).toBe(404);
    expect((await api('POST', '/goals/scroll-depth/confirm', { really: true })).status).toBe(400);
  });
});
