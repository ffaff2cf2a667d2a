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

/**
 * Creates database `name` (a copy of `template` when given) on the PostgreSQL server of `url`.
 * `name` must start with {@link TEST_DATABASE_PREFIX}: tests touch no other database.
 * @returns the URL of the new database.
 */
export async function createDatabase(
  url: string,
  name: string,
  template?: string,
): Promise<string> {
  checkTestDatabase(name);
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    if (template) await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, template]);
    else await admin.raw('CREATE DATABASE ??', [name]);
  } finally {
    await admin.destroy();
  }
  return withDatabase(url, name);
}

/** Drops database `name` (a test's, see {@link createDatabase}), closing its connections. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  checkTestDatabase(name);
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  } finally {
    await admin.destroy();
  }
}

function checkTestDatabase(name: string): void {
  if (!name.startsWith(TEST_DATABASE_PREFIX)) {
    throw new Error(`Tests only touch databases named ${TEST_DATABASE_PREFIX}…, not ${name}`);
  }
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
  const db = await openDatabase({ databaseUrl: await createDatabase(url, template), poolMax: 1 });
  await migrate(db.knex);
  await db.close();
  project.provide('postgresTemplate', template);
  return () => dropDatabase(url, template);
}
