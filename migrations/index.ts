import type { Knex } from 'knex';
import * as initialSchema from './20261130000000-initial-schema.js';
import * as ingestionAssertion from './20261201000000-ingestion-assertion.js';
import * as accounts from './20261202000000-accounts.js';
import * as collaboration from './20261203000000-collaboration.js';
import * as socketIoAttachments from './20261204000000-socket-io-attachments.js';

interface Migration {
  readonly up: (knex: Knex) => Promise<void>;
  readonly down: (knex: Knex) => Promise<void>;
}

/**
 * Every migration in order, by file name. Listed here (rather than discovered on disk) so the
 * same migrations run under tsx, vitest and bundlers alike. Append new files; never edit one
 * that has been merged.
 */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['20261130000000-initial-schema', initialSchema],
  ['20261201000000-ingestion-assertion', ingestionAssertion],
  ['20261202000000-accounts', accounts],
  ['20261203000000-collaboration', collaboration],
  ['20261204000000-socket-io-attachments', socketIoAttachments],
];

/** A knex migration source over {@link MIGRATIONS}. */
export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
