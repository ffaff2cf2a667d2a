import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
