/**
 * Live decisions over Socket.IO with real clients: the state a join answers, a push for each
 * ingested batch, coalescing that keeps the last state, and a reconnection that ends on it.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ClientToServerEvents,
  DecisionUpdated,
  ExperimentSummary,
  ServerToClientEvents,
} from '../src/realtime/contracts.js';
import { startTestServer, type TestServer } from './support/test-server.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

let server: TestServer;
const open: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const socket of open) socket.close();
  await server?.close();
});

async function client(apiKey: string): Promise<Client> {
  const socket: Client = connect(server.url, {
    transports: ['websocket'],
    reconnection: false,
    auth: { apiKey },
  });
  open.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', reject);
  });
  return socket;
}

let seq = 0;
const exposure = (visitorId: string, variant: string) => ({
  type: 'exposure',
  id: `e${++seq}`,
  visitorId,
  experiment: 'hero',
  variant,
  variants: ['control', 'bold'],
});
const conversion = (visitorId: string) => ({
  type: 'conversion',
  id: `c${++seq}`,
  visitorId,
  goal: 'signup',
});

const visitorsOf = (update: DecisionUpdated | { decision: DecisionUpdated['decision'] | null }) =>
  (update.decision?.variants ?? []).reduce((sum, v) => sum + v.visitors, 0);

describe('live decisions', () => {
  it('answers a join with the current state, and pushes the decision of each batch', async () => {
    const { projectId, token, apiKey } = await server.createProject('Live');
    await server.ingest(token, [
      exposure('v1', 'control'),
      exposure('v2', 'bold'),
      conversion('v2'),
    ]);
    const socket = await client(apiKey);
    const joined = await socket.emitWithAck('experiment:join', {
      projectId,
      experimentKey: 'hero',
    });
    if (!joined.ok) throw new Error(joined.error.message);
    expect(joined.state.experiment).toMatchObject({ key: 'hero', status: 'running' });
    expect(joined.state.decision?.variants.map((v) => [v.key, v.visitors, v.conversions])).toEqual([
      ['control', 1, 0],
      ['bold', 1, 1],
    ]);
    expect(joined.state.snapshots.length).toBeGreaterThan(0);
    expect(typeof joined.state.snapshots[0]?.takenAt).toBe('string');

    // A socket in another project's experiment room hears nothing of this one.
    const other = await server.createProject('Elsewhere');
    await server.ingest(other.token, [exposure('w1', 'control')]);
    const stranger = await client(other.apiKey);
    await stranger.emitWithAck('experiment:join', {
      projectId: other.projectId,
      experimentKey: 'hero',
    });
    const heardByStranger: DecisionUpdated[] = [];
    stranger.on('decision:updated', (u) => heardByStranger.push(u));

    const pushed = new Promise<DecisionUpdated>((resolve) =>
      socket.once('decision:updated', resolve),
    );
    // The project's room hears the same decision in short, for lists.
    const lister = await client(apiKey);
    await lister.emitWithAck('project:join', { projectId });
    const summarized = new Promise<ExperimentSummary>((resolve) =>
      lister.once('experiment:summarized', resolve),
    );
    server.clock.advance(1000);
    await server.ingest(token, [exposure('v3', 'control'), conversion('v3')]);
    const update = await pushed;
    expect(await summarized).toEqual({
      projectId,
      experimentId: update.experimentId,
      experimentKey: 'hero',
      goal: update.goal,
      status: update.decision.status,
      srmDetected: false,
      visitors: 3,
      conversions: 2,
    });
    expect(update.experimentKey).toBe('hero');
    expect(update.decision.variants.map((v) => [v.key, v.visitors, v.conversions])).toEqual([
      ['control', 2, 1],
      ['bold', 1, 1],
    ]);
    expect(update.decision.variants[0]?.density).toBeDefined();
    expect(heardByStranger).toEqual([]);

    // Left (the dashboard moved to another project): nothing more of this one.
    const afterLeaving: ExperimentSummary[] = [];
    expect((await lister.emitWithAck('project:leave', { projectId })).ok).toBe(true);
    lister.on('experiment:summarized', (s) => afterLeaving.push(s));
    const next = new Promise<DecisionUpdated>((resolve) =>
      socket.once('decision:updated', resolve),
    );
    server.clock.advance(1000);
    await server.ingest(token, [exposure('v4', 'bold')]);
    await next;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(afterLeaving).toEqual([]);
  });

  it('coalesces pushes under load to at most one per 100 ms, ending on the last state', async () => {
    const { projectId, token, apiKey } = await server.createProject('Busy');
    await server.ingest(token, [exposure('b0', 'control')]);
    const socket = await client(apiKey);
    await socket.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    const received: { at: number; visitors: number }[] = [];
    socket.on('decision:updated', (u) =>
      received.push({ at: Date.now(), visitors: visitorsOf(u) }),
    );
    const batches = 40;
    await Promise.all(
      Array.from({ length: batches }, (_, i) =>
        server.request('POST', '/v1/events', {
          body: { events: [exposure(`b${i + 1}`, i % 2 ? 'bold' : 'control')] },
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    await server.services.decisions.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the trailing edge
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(batches);
    // Client-side arrival times: the server sends at most one per 100 ms; delivery (through
    // PostgreSQL's NOTIFY with the pg adapter) adds some jitter. The exact spacing is the
    // coalescer's own test.
    const span = (received.at(-1)?.at ?? 0) - (received[0]?.at ?? 0);
    expect(received.length).toBeLessThanOrEqual(Math.floor(span / 100) + 2);
    // Spacing on arrival, on average: one message delayed in transit arrives close to the next.
    if (received.length > 1) {
      expect(span / (received.length - 1)).toBeGreaterThanOrEqual(90);
    }
    expect(received.at(-1)?.visitors).toBe(batches + 1);
  });

  it('ends a reconnection after a server-side gap on the latest state', async () => {
    const { projectId, token, apiKey } = await server.createProject('Gap');
    await server.ingest(token, [exposure('g1', 'control')]);
    const connected = async () => (await server.services.metrics.sockets.get()).values[0]?.value;
    const before = await connected();
    const first = await client(apiKey);
    await first.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    expect(await connected()).toBe((before ?? 0) + 1);
    first.disconnect();
    await expect.poll(connected).toBe(before);
    for (let i = 2; i <= 6; i++) {
      server.clock.advance(1000);
      await server.ingest(token, [
        exposure(`g${i}`, i % 2 ? 'control' : 'bold'),
        conversion(`g${i}`),
      ]);
    }
    const again = await client(apiKey);
    const joined = await again.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    if (!joined.ok) throw new Error(joined.error.message);
    expect(visitorsOf(joined.state)).toBe(6);
    const results = await server.request(
      'GET',
      `/api/projects/${projectId}/experiments/hero/results`,
      { headers: { authorization: `Bearer ${apiKey}` } },
    );
    expect(joined.state.decision?.variants.map((v) => v.conversions)).toEqual(
      results.body.decision.variants.map((v: { conversions: number }) => v.conversions),
    );
  });

  it('shares presence and every change made through the API, with who made it', async () => {
    const { projectId, token, apiKey } = await server.createProject('Team');
    await server.ingest(token, [
      exposure('t1', 'control'),
      {
        type: 'goal_candidate',
        id: `gc${++seq}`,
        visitorId: 't1',
        goal: 'click:#buy',
        kind: 'click',
      },
    ]);
    const headers = { authorization: `Bearer ${apiKey}` };
    const secondKey = (
      await server.request('POST', `/api/projects/${projectId}/api-keys`, {
        body: { name: 'second' },
        headers,
      })
    ).body;
    const alice = await client(apiKey);
    const bob = await client(secondKey.key);
    const presence = (socket: Client, count: number) =>
      new Promise<string[]>((resolve) => {
        const listener = (fact: { viewers: readonly { label: string }[] }) => {
          if (fact.viewers.length !== count) return;
          socket.off('presence:changed', listener);
          resolve(fact.viewers.map((v) => v.label).sort());
        };
        socket.on('presence:changed', listener);
      });

    const aliceAlone = presence(alice, 1);
    await alice.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    await alice.emitWithAck('project:join', { projectId });
    expect(await aliceAlone).toHaveLength(1);
    const both = presence(alice, 2);
    await bob.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    const labels = await both;
    expect(labels).toHaveLength(2);
    expect(labels).toEqual(['API key', 'API key']);

    const updated = new Promise<{ experiment: { status: string }; by: unknown }>((resolve) =>
      bob.once('experiment:updated', resolve),
    );
    const paused = await server.request(
      'POST',
      `/api/projects/${projectId}/experiments/hero/pause`,
      { headers: { authorization: `Bearer ${secondKey.key}` } },
    );
    expect(paused.status).toBe(200);
    expect(await updated).toEqual({
      experiment: expect.objectContaining({ status: 'paused' }),
      by: { kind: 'api_key', label: 'API key' },
    });

    const noted = new Promise<{ note: { body: string; authorLabel: string } }>((resolve) =>
      alice.once('note:added', resolve),
    );
    const note = await server.request('POST', `/api/projects/${projectId}/experiments/hero/notes`, {
      body: { body: 'Paused for the launch.' },
      headers,
    });
    expect(note.status).toBe(201);
    expect((await noted).note).toMatchObject({
      body: 'Paused for the launch.',
      authorLabel: 'API key',
    });
    const notes = await server.request('GET', `/api/projects/${projectId}/experiments/hero/notes`, {
      headers,
    });
    expect(notes.body.notes.map((n: { body: string }) => n.body)).toEqual([
      'Paused for the launch.',
    ]);
    const empty = await server.request(
      'POST',
      `/api/projects/${projectId}/experiments/hero/notes`,
      {
        body: { body: '   ' },
        headers,
      },
    );
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.field).toBe('body');

    const goal = new Promise<{ goal: { key: string; status: string } }>((resolve) =>
      alice.once('goal:updated', resolve),
    );
    await server.request('POST', `/api/projects/${projectId}/goals/click:%23buy/confirm`, {
      headers,
    });
    expect((await goal).goal).toMatchObject({ key: 'click:#buy', status: 'confirmed' });

    // Bob leaves, then Alice disconnects: presence follows.
    const aliceOnly = presence(alice, 1);
    expect(
      await bob.emitWithAck('experiment:leave', { projectId, experimentKey: 'hero' }),
    ).toMatchObject({
      ok: true,
    });
    expect(await aliceOnly).toHaveLength(1);
    const watcher = await client(secondKey.key);
    await watcher.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    const afterDisconnect = presence(watcher, 1);
    alice.disconnect();
    expect(await afterDisconnect).toHaveLength(1);
  });

  it('streams incoming events to subscribers of the project, sampled, with the true rate', async () => {
    const { projectId, token, apiKey } = await server.createProject('Stream');
    const watcher = await client(apiKey);
    expect(await watcher.emitWithAck('live:subscribe', { projectId })).toMatchObject({ ok: true });
    const bystander = await client(apiKey);
    await bystander.emitWithAck('project:join', { projectId });
    const overheard: unknown[] = [];
    bystander.on('events:received', (fact) => overheard.push(fact));
    const other = await server.createProject('Not yours');
    const stranger = await client(other.apiKey);
    expect(await stranger.emitWithAck('live:subscribe', { projectId })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const first = new Promise<{ events: readonly { type: string; page: string | null }[] }>(
      (resolve) => watcher.once('events:received', resolve),
    );
    await server.ingest(token, [
      { type: 'page_view', id: `pv${++seq}`, visitorId: 'visitor-123456789', path: '/pricing' },
      exposure('visitor-123456789', 'bold'),
    ]);
    const batch = await first;
    expect(batch).toMatchObject({ projectId, receivedPerSecond: 2, sampled: false });
    expect(batch.events).toEqual([
      expect.objectContaining({ type: 'page_view', page: '/pricing', visitor: 'visitor-' }),
      expect.objectContaining({ type: 'exposure', experiment: 'hero', variant: 'bold' }),
    ]);

    // A burst: at most 5 events per 250 ms reach the subscriber, with the true rate.
    const facts: { events: readonly unknown[]; receivedPerSecond: number; sampled: boolean }[] = [];
    watcher.on('events:received', (fact) => facts.push(fact));
    await server.ingest(
      token,
      Array.from({ length: 200 }, (_, i) => ({
        type: 'page_view',
        id: `burst${++seq}`,
        visitorId: `b${i}`,
        path: `/p/${i}`,
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(facts.length).toBeGreaterThan(0);
    expect(facts.every((f) => f.events.length <= 5)).toBe(true);
    expect(facts[0]).toMatchObject({ sampled: true });
    expect(facts[0]?.receivedPerSecond).toBeGreaterThanOrEqual(200);
    expect(overheard).toEqual([]);
  });

  it('ends the connections of a revoked key, and refuses a flood of commands', async () => {
    const { projectId, token, apiKey } = await server.createProject('Revoked');
    await server.ingest(token, [exposure('r1', 'control')]);
    const headers = { authorization: `Bearer ${apiKey}` };
    const second = (
      await server.request('POST', `/api/projects/${projectId}/api-keys`, {
        body: { name: 'soon revoked' },
        headers,
      })
    ).body;
    const socket = await client(second.key);
    await socket.emitWithAck('experiment:join', { projectId, experimentKey: 'hero' });
    const ended = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const revoked = await server.request(
      'DELETE',
      `/api/projects/${projectId}/api-keys/${second.apiKey.id}`,
      { headers },
    );
    expect(revoked.status).toBe(200);
    expect(await ended).toBe('io server disconnect');

    const flooder = await client(apiKey);
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => flooder.emitWithAck('project:join', { projectId })),
    );
    const limited = replies.filter((r) => !r.ok && r.error.code === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(40 - 20 - 2);
    expect(replies.filter((r) => r.ok).length).toBeLessThanOrEqual(22);
  });
});
