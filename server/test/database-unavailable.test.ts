import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createServices, type Services } from '../src/composition-root.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { freePort } from './support/child-server.js';
import { withDatabase } from './support/postgres-template.js';
import { createTestDatabase, TEST_DRIVER } from './support/test-database.js';
import { BROWSER_USER_AGENT } from './support/test-server.js';

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('isDatabaseUnavailable', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  it('recognises a refused connection', async () => {
    const client = new pg.Client({
      connectionString: `postgres://x@127.0.0.1:${await freePort()}/x`,
    });
    const error = await failure(client.connect());
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('recognises a pool that gave no connection in time', async () => {
    const busy = await openDatabase({
      ...(TEST_DRIVER === 'pg' ? { databaseUrl: db.url } : {}),
      poolMax: 1,
      acquireConnectionTimeout: 200,
    });
    try {
      // The one connection held by a transaction: the next query waits, then gives up.
      const error = await busy.knex.transaction(async () => failure(busy.knex.raw('select 1')));
      expect((error as Error).name).toBe('KnexTimeoutError');
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await busy.close();
    }
  });

  it("does not take a query's own errors for an outage", async () => {
    const syntax = await failure(db.knex.raw('selec 1'));
    expect((syntax as { code?: string }).code).toBe('42601');
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    await db.knex.raw('create table once (id int primary key)');
    await db.knex('once').insert({ id: 1 });
    const duplicate = await failure(db.knex('once').insert({ id: 1 }));
    expect((duplicate as { code?: string }).code).toBe('23505');
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  it.runIf(TEST_DRIVER === 'pg')(
    'recognises a connection the server terminated (57P01) and one used after it',
    async () => {
      const victim = new pg.Client({ connectionString: db.url });
      victim.on('error', () => {}); // the termination also arrives as an 'error' event
      await victim.connect();
      try {
        const { rows } = await victim.query('select pg_backend_pid() as pid');
        await db.knex.raw('select pg_terminate_backend(?)', [rows[0].pid]);
        const terminated = await failure(victim.query('select 1'));
        expect(isDatabaseUnavailable(terminated)).toBe(true);
        const after = await failure(victim.query('select 1'));
        expect(isDatabaseUnavailable(after)).toBe(true);
      } finally {
        await victim.end().catch(() => {});
      }
    },
  );
});

describe('the API while the database is unreachable', () => {
  let services: Services;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    // A PostgreSQL URL where nothing listens: every query is refused.
    const port = await freePort();
    const db = await openDatabase({
      databaseUrl: withDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, 'nowhere'),
      acquireConnectionTimeout: 2_000,
    });
    services = createServices({ db, logger: pino({ level: 'silent' }) });
    const http = createServer(
      createApp(services, {
        rateLimitPerIp: 1_000,
        rateLimitPerToken: 1_000,
        trustProxy: 0,
        signInLinksPerIp: 1_000,
        signInLinksPerAddress: 1_000,
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise((resolve) => http.close(resolve));
      await services.stop();
      await db.close();
    };
  });
  afterAll(() => close());

  it('answers 503 database_unavailable with Retry-After, and /readyz 503', async () => {
    const events = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer vv_proj_doesnotmatter',
        'user-agent': BROWSER_USER_AGENT,
      },
      body: JSON.stringify({ events: [{ type: 'exposure', id: 'e', visitorId: 'v' }] }),
    });
    expect(events.status).toBe(503);
    expect(events.headers.get('retry-after')).toBe('5');
    expect(await events.json()).toMatchObject({
      error: { code: 'database_unavailable', details: { retryAfterSeconds: 5 } },
    });

    const api = await fetch(`${url}/api/projects`, {
      headers: { authorization: 'Bearer vv_sk_doesnotmatter' },
    });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe(
      'database_unavailable',
    );

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ok: false, reason: 'database_unreachable' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
