import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index.js';
import { DataDirInUseError } from '../src/db/data-dir-lock.js';
import { type Database, migrate, openDatabase, sqlLiteral } from '../src/db/database.js';
import { createTestDatabase, TEST_DRIVER } from './support/test-database.js';

let db: Database;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe(`database on ${TEST_DRIVER}`, () => {
  it('runs on the driver this test project asked for', () => {
    expect(db.driver).toBe(TEST_DRIVER);
  });

  it('returns counts and bigint columns as numbers, never strings', async () => {
    await db.knex('projects').insert([
      { id: 'p1', name: 'One' },
      { id: 'p2', name: 'Two' },
    ]);
    const [count] = await db.knex('projects').count({ n: '*' });
    expect(count?.n).toBe(2);
    const [sum] = await db.knex
      .raw('select 9007199254740991::bigint as big, 2.5::numeric as n')
      .then((r: { rows: unknown[] }) => r.rows);
    expect(sum).toEqual({ big: 9007199254740991, n: 2.5 });
  });

  it('has every migration applied, and migrating again changes nothing', async () => {
    expect(await migrate(db.knex)).toEqual([]);
    const tables: { rows: { table_name: string }[] } = await db.knex.raw(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'conversions',
        'decision_snapshots',
        'events',
        'experiments',
        'exposures',
        'goals',
        'notifications',
        'variant_exposure_stats',
        'variant_goal_stats',
        'visitors',
      ]),
    );
  });

  it('waits for the migration lock another server holds, then migrates', async () => {
    await db.knex.migrate.down({ migrationSource });
    const pending = (await db.knex.migrate.list({ migrationSource }))[1] as { file?: string }[];
    expect(pending).toHaveLength(1);
    await db.knex('knex_migrations_lock').update({ is_locked: 1 });
    let done = false;
    const migrating = migrate(db.knex).then((applied) => {
      done = true;
      return applied;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(done).toBe(false);
    await db.knex('knex_migrations_lock').update({ is_locked: 0 });
    expect(await migrating).toEqual(['20261204000000-socket-io-attachments']);
  });

  it('reads back every string written in as a literal, in scripts of several statements', async () => {
    const hostile = [
      '',
      "it's",
      "''; DROP TABLE projects; --",
      'back\\slash',
      "\\'; DROP TABLE projects; --",
      'ends with a backslash \\',
      '$$ dollar $tag$ quotes',
      'line\nbreak\ttab',
      '😀 ünïcödé \u2028',
      ':project ::json',
    ];
    const select = hostile.map((value, i) => `${sqlLiteral(value)} AS v${i}`).join(', ');
    const results = await db.session(async (session) => {
      const out = await session.script(
        `BEGIN;\nSELECT ${select};\nSELECT count(*) AS n FROM projects;\nCOMMIT`,
      );
      return out;
    });
    expect(results).toHaveLength(4);
    expect(Object.values(results[1]?.[0] ?? {})).toEqual(hostile);
    expect(results[2]).toEqual([{ n: 2 }]);
  });

  it('rolls a session back when its work throws, and the connection serves the next one', async () => {
    await expect(
      db.session(async (session) => {
        await session.script("BEGIN;\nINSERT INTO projects (id, name) VALUES ('p3', 'Three')");
        await session.script('SELECT 1 / 0');
      }),
    ).rejects.toThrow(/division by zero/);
    const [row] = await db.session((session) =>
      session.script('SELECT count(*) AS n FROM projects'),
    );
    expect(row).toEqual([{ n: 2 }]);
  });
});

describe.runIf(TEST_DRIVER === 'pglite')('the embedded database', () => {
  it('keeps its data in the data directory across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vibariant-data-'));
    try {
      const first = await openDatabase({ dataDir });
      await migrate(first.knex);
      await first.knex('projects').insert({ id: 'kept', name: 'Kept' });
      await first.close();
      const second = await openDatabase({ dataDir });
      // One process per data directory: a second opener is refused while it is held.
      await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DataDirInUseError);
      expect(await migrate(second.knex)).toEqual([]);
      expect(await second.knex('projects').pluck('id')).toEqual(['kept']);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
