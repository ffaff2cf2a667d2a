import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import { migrationSource } from '../../../migrations/index.js';
import { lockDataDir } from './data-dir-lock.js';

export type Driver = 'pg' | 'pglite';

/** An open database: the knex instance, which driver is behind it, and how to close it. */
export interface Database {
  readonly knex: Knex;
  readonly driver: Driver;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory; `undefined` with no `pglite` keeps the database in memory. */
  readonly dataDir?: string | undefined;
  /** An already started PGlite instance (tests load a migrated template into one). */
  readonly pglite?: PGlite | undefined;
  /** Pool size for PostgreSQL (PGlite has exactly one connection). */
  readonly poolMax?: number;
  /** Milliseconds to wait for a free connection before failing. */
  readonly acquireConnectionTimeout?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * pg returns bigint and numeric columns as strings (PGlite: numeric only); counts here stay far
 * below 2^53, so both drivers hand back plain numbers.
 */
const pgTypes = {
  getTypeParser: (oid: number, format: string) => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * Opens the database: `pg` with a pool when `databaseUrl` is set, otherwise PGlite (PostgreSQL
 * in WebAssembly, in process) persisted under `dataDir`, which this process then holds until
 * `close()`. Does not migrate (see `migrate`).
 * @throws DataDirInUseError when another live process holds `dataDir`.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const acquireConnectionTimeout = options.acquireConnectionTimeout ?? 10_000;
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: options.databaseUrl, types: pgTypes },
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout,
    });
    return { knex, driver: 'pg', close: () => knex.destroy() };
  }
  let pglite = options.pglite;
  let unlock = () => {};
  if (!pglite) {
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      unlock = lockDataDir(options.dataDir);
    }
    try {
      pglite = await PGlite.create({
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        // numeric (sums of bigint columns) as numbers, as on pg below.
        parsers: { [NUMERIC_OID]: (value: string) => Number(value) },
      });
    } catch (error) {
      unlock();
      throw error;
    }
  }
  const instance = pglite;
  const knex = knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: () => ({ pglite: instance }) as object,
    acquireConnectionTimeout,
  });
  return {
    knex,
    driver: 'pglite',
    close: async () => {
      await knex.destroy();
      if (!instance.closed) await instance.close();
      unlock();
    },
  };
}

/** Runs every pending migration; returns the names of those applied. */
export async function migrate(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
