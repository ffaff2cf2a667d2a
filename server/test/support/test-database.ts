import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type Database, migrate, openDatabase } from '../../src/db/database.js';
import { createDatabase, dropDatabase, TEST_DATABASE_PREFIX } from './postgres-template.js';

/** Which driver this test project runs on. */
export const TEST_DRIVER = (process.env.VIBARIANT_TEST_DRIVER ?? 'pglite') as 'pg' | 'pglite';

/**
 * A fresh migrated database for one test file: on PostgreSQL a clone of the run's template,
 * dropped by `close()`; on PGlite an in-memory instance.
 */
export async function createTestDatabase(): Promise<Database> {
  if (TEST_DRIVER === 'pglite') {
    const db = await openDatabase({ acquireConnectionTimeout: 2_000 });
    await migrate(db.knex);
    return db;
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is required on the pg driver');
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({
    databaseUrl: await createDatabase(url, name, inject('postgresTemplate')),
    acquireConnectionTimeout: 2_000,
  });
  return {
    ...db,
    close: async () => {
      await db.close();
      await dropDatabase(url, name);
    },
  };
}
