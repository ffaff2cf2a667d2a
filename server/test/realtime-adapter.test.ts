import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { releaseDeadClients } from '../src/realtime/adapter.js';
import { createTestDatabase, TEST_DRIVER } from './support/test-database.js';

/** Polls `condition` every 50 ms until it holds, for at most 10 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(condition()).toBe(true);
}

// The PostgreSQL adapter of Socket.IO exists on the pg driver only.
describe.runIf(TEST_DRIVER === 'pg')('the Socket.IO adapter when PostgreSQL drops it', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  it('logs the error and releases a held client whose connection ended', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const errors: Error[] = [];
    releaseDeadClients(pool, (error) => errors.push(error));
    // Held like the adapter's LISTEN client: checked out, never released by its user.
    const client = await pool.connect();
    const { rows } = await client.query('select pg_backend_pid() as pid');
    expect(pool.totalCount).toBe(1);

    await db.knex.raw('select pg_terminate_backend(?)', [rows[0].pid]);
    // The termination reached the held client as an error event, handled (not thrown).
    await until(() => errors.length > 0);
    // …and the dead client left the pool, so that it neither fills up nor blocks `end()`.
    await until(() => pool.totalCount === 0);
    const fresh = await pool.query('select 1 as one');
    expect(fresh.rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});
