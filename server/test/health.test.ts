import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRouter } from '../src/http/health.js';
import { createTestDatabase, TEST_DRIVER } from './support/test-database.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('health probes', () => {
  it('says the server is alive and ready on a migrated database', async () => {
    expect(await server.request('GET', '/healthz')).toMatchObject({
      status: 200,
      body: { ok: true },
    });
    expect(await server.request('GET', '/readyz')).toMatchObject({
      status: 200,
      body: { ok: true, database: TEST_DRIVER },
    });
  });

  it('is not ready while a migration is pending, nor when the database is gone', async () => {
    const db = await createTestDatabase();
    const app = express().use(healthRouter(db));
    const http = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const probe = async (path: string) => {
      const response = await fetch(url + path);
      return { status: response.status, body: await response.json() };
    };
    try {
      // The newest migration forgotten: as after deploying code whose migration has not run.
      const [last] = await db.knex('knex_migrations').orderBy('id', 'desc').limit(1);
      await db.knex('knex_migrations').where({ id: last.id }).del();
      expect(await probe('/readyz')).toEqual({
        status: 503,
        body: { ok: false, reason: 'migrations_pending', pending: 1 },
      });
      await db.close();
      expect(await probe('/readyz')).toEqual({
        status: 503,
        body: { ok: false, reason: 'database_unreachable' },
      });
      expect((await probe('/healthz')).status).toBe(200); // alive all the same
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

/** The value of one sample in Prometheus' text format, e.g. `vibariant_events_total{outcome="accepted"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('counts batches by status, events by outcome, and times batches and recomputes', async () => {
    const { token } = await server.createProject('Metrics');
    const exposure = (id: string, visitorId: string) => ({
      type: 'exposure',
      id,
      visitorId,
      experiment: 'metrics-hero',
      variant: 'control',
      variants: ['control', 'bold'],
    });
    await server.ingest(token, [exposure('m-1', 'v-1'), exposure('m-2', 'v-2')]);
    const again = await server.request('POST', '/v1/events', {
      body: { events: [exposure('m-2', 'v-2'), { type: 'exposure', id: 'm-3' }] },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(200);
    const refused = await server.request('POST', '/v1/events', {
      body: { events: [] },
      headers: { authorization: 'Bearer vv_proj_unknown' },
    });
    expect(refused.status).toBe(401);
    await server.services.decisions.whenIdle();

    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'vibariant_events_total{outcome="accepted"}')).toBe(2);
    expect(sample(text, 'vibariant_events_total{outcome="duplicate"}')).toBe(1);
    expect(sample(text, 'vibariant_events_total{outcome="rejected"}')).toBe(1);
    expect(sample(text, 'vibariant_event_batches_total{status="200"}')).toBe(2);
    expect(sample(text, 'vibariant_event_batches_total{status="401"}')).toBe(1);
    expect(sample(text, 'vibariant_event_batch_duration_seconds_count')).toBe(2);
    expect(sample(text, 'vibariant_decision_recompute_duration_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'vibariant_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe("requests Node's parser refuses", () => {
  /** Sends `raw` over a new connection and returns all the server answers before it closes. */
  const exchange = (raw: string) =>
    new Promise<string>((resolve, reject) => {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers them in the API error shape: 431 for huge headers, 400 for the rest', async () => {
    const huge = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'headers_too_large', details: { field: 'headers' } },
    });
    const garbled = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(garbled).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbled.slice(garbled.indexOf('\r\n\r\n') + 4)).error.code).toBe(
      'bad_request',
    );
  });
});
