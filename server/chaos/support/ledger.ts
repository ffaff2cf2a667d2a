import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import type { RecountReport } from '../../src/features/audit/recount-service.js';
import {
  createDatabase,
  dropDatabase,
  TEST_DATABASE_PREFIX,
} from '../../test/support/postgres-template.js';
import { RUNTIME_DIR } from './production-server.js';
import type { SenderReport } from './retrying-sender.js';

const run = promisify(execFile);

/** A database the server and the command line are pointed at, through their environment. */
export interface ChaosDatabase {
  /** `pglite` or `pg`, for the printed figures. */
  readonly label: string;
  /** `VIBARIANT_DATA_DIR` (embedded) or `DATABASE_URL` (PostgreSQL). */
  readonly env: Record<string, string>;
  /** Deletes the data directory, or drops the database. */
  dispose(): Promise<void>;
}

/** The embedded database in a new temporary directory. */
export function embeddedDatabase(): ChaosDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'vibariant-chaos-'));
  return {
    label: 'pglite',
    env: { VIBARIANT_DATA_DIR: join(dir, 'data') },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A new empty database `vibariant_test_chaos_…` on the PostgreSQL server of `serverUrl`
 * (`TEST_DATABASE_URL`), dropped by `dispose`; the server migrates it at its start. A temporary
 * directory holds the server's session key.
 */
export async function postgresDatabase(serverUrl: string, label = 'pg'): Promise<ChaosDatabase> {
  const name = `${TEST_DATABASE_PREFIX}chaos_${randomBytes(6).toString('hex')}`;
  const url = await createDatabase(serverUrl, name);
  const dir = mkdtempSync(join(tmpdir(), 'vibariant-chaos-'));
  return {
    label,
    env: { DATABASE_URL: url, VIBARIANT_DATA_DIR: join(dir, 'data') },
    dispose: async () => {
      await dropDatabase(serverUrl, name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The databases the crash test runs on: the embedded one, and PostgreSQL when configured. */
export const DATABASE_KINDS: readonly ('pglite' | 'pg')[] = process.env.TEST_DATABASE_URL
  ? ['pglite', 'pg']
  : ['pglite'];

/** A database of `kind` (see {@link DATABASE_KINDS}). */
export const chaosDatabase = (kind: 'pglite' | 'pg'): Promise<ChaosDatabase> =>
  kind === 'pg'
    ? postgresDatabase(process.env.TEST_DATABASE_URL!)
    : Promise.resolve(embeddedDatabase());

/** Rows of the project's event log: how many, and their distinct IDs. */
export async function storedEvents(
  database: ChaosDatabase,
  projectId: string,
): Promise<{ rows: number; ids: Set<string> }> {
  const db = await openDatabase({
    databaseUrl: database.env.DATABASE_URL,
    dataDir: database.env.VIBARIANT_DATA_DIR,
  });
  try {
    const ids: string[] = await db
      .knex('events')
      .where({ project_id: projectId })
      .pluck('event_id');
    return { rows: ids.length, ids: new Set(ids) };
  } finally {
    await db.close();
  }
}

/**
 * `npm run vibariant -- recount --project <id> --json`, as the built command line
 * (`node server/dist/vibariant.js`) with the server's database: the sufficient statistics
 * recounted from the raw events, and where the stored ones differ. On the embedded database,
 * run it while the server is stopped (one process at a time).
 */
export async function recount(database: ChaosDatabase, projectId: string): Promise<RecountReport> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const cli = join('server', 'dist', 'vibariant.js');
  const args = [cli, 'recount', '--project', projectId, '--json'];
  const options = {
    cwd: RUNTIME_DIR,
    env: { ...inherited, ...database.env },
    maxBuffer: 64 * 1_048_576,
  };
  try {
    const { stdout } = await run(process.execPath, args, options);
    return JSON.parse(stdout) as RecountReport;
  } catch (error) {
    // Exit code 1 with a report: the statistics differ (asserted by the caller).
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout?.trim().startsWith('{')) return JSON.parse(stdout) as RecountReport;
    throw error;
  }
}

/** The figures every chaos test prints and asserts. */
export interface LedgerFigures {
  readonly sent: number;
  readonly acknowledged: number;
  readonly stored: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly differences: number;
}

/**
 * Compares what the client was told with what the database holds, and prints one line:
 * `<name>: sent N, acknowledged N, stored N, lost 0, duplicated 0, stats = recount`.
 * Asserts that every acknowledged event is stored exactly once, that nothing was stored that
 * was never sent, and that the stored sufficient statistics equal the recount from the log.
 * @param sentIds every event ID the client sent (acknowledged or not).
 */
export async function checkLedger(
  name: string,
  database: ChaosDatabase,
  projectId: string,
  report: SenderReport,
  sentIds: ReadonlySet<string>,
  extra = '',
): Promise<LedgerFigures> {
  const stored = await storedEvents(database, projectId);
  const audit = await recount(database, projectId);
  const lost = [...report.acknowledged].filter((id) => !stored.ids.has(id));
  const strangers = [...stored.ids].filter((id) => !sentIds.has(id));
  const figures: LedgerFigures = {
    sent: report.sent,
    acknowledged: report.acknowledged.size,
    stored: stored.ids.size,
    lost: lost.length,
    duplicated: stored.rows - stored.ids.size,
    differences: audit.differences.length,
  };
  const stats =
    figures.differences === 0 ? 'stats = recount' : `stats differ in ${figures.differences} rows`;
  process.stdout.write(
    `${name}: sent ${figures.sent}, acknowledged ${figures.acknowledged}, stored ${figures.stored}, ` +
      `lost ${figures.lost}, duplicated ${figures.duplicated}, ${stats} ` +
      `(${audit.eventsReplayed} events replayed)${extra ? `, ${extra}` : ''}\n`,
  );
  expect(lost.slice(0, 5), 'acknowledged events missing from the log').toEqual([]);
  expect(strangers.slice(0, 5), 'stored events nobody sent').toEqual([]);
  expect(figures.duplicated).toBe(0);
  expect(audit.differences.slice(0, 5)).toEqual([]);
  expect(audit.eventsReplayed).toBeGreaterThan(0);
  return figures;
}
