import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../../src/db/database.js';

/** Prefix of every database the tests create; nothing else is ever touched. */
export const TEST_DATABASE_PREFIX = 'vibariant_test_';

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: string;
  }
}

/**
 * Global setup of the PostgreSQL project: one migrated template database per run, which every
 * test file clones (CREATE DATABASE … TEMPLATE) and which is dropped at the end.
 */
export async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is required for the pg test project');
  const template = `${TEST_DATABASE_PREFIX}template_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE DATABASE ??', [template]);
  const db = await openDatabase({ databaseUrl: withDatabase(url, template), poolMax: 1 });
  await migrate(db.knex);
  await db.close();
  project.provide('postgresTemplate', template);
  return async () => {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [template]);
    await admin.destroy();
  };
}
