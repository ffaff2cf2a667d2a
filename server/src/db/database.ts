import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrationSource } from '../../../migrations/index.js';
import { lockDataDir } from './data-dir-lock.js';

export type Driver = 'pg' | 'pglite';

/** A row as the driver hands it back: column name to parsed value. */
export type Row = Record<string, unknown>;

/** One pooled connection, held for several scripts in a row (a transaction over round trips). */
export interface SqlSession {
  /**
   * Runs `sql`, one or more statements separated by `;` and without parameters (values are
   * written in with {@link sqlLiteral}), in one round trip (PostgreSQL's simple query protocol).
   * Returns each statement's rows, in order.
   * @throws the driver's error for the first statement that fails; the ones after it are skipped
   *   and an open transaction is left aborted (roll it back).
   */
  script(sql: string): Promise<Row[][]>;
}

/** An open database: the knex instance, which driver is behind it, and how to close it. */
export interface Database {
  readonly knex: Knex;
  readonly driver: Driver;
  /** The PostgreSQL connection string (pg only), for clients of their own (Socket.IO). */
  readonly url?: string;
  /**
   * Runs `work` with one connection of the pool to itself, released when `work` settles. When
   * `work` throws, the connection is rolled back first (and dropped from the pool if even that
   * fails); a transaction `work` opened must be ended by `work`.
   */
  session<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * `value` as a PostgreSQL string literal, safe to write into SQL whatever it holds: quotes
 * doubled, and with backslashes an escape-string literal `E'…'` with them doubled too, which
 * reads the same whatever `standard_conforming_strings` says (as pg's `escapeLiteral`, without
 * its character loop: ingestion writes whole batches this way).
 */
export function sqlLiteral(value: string): string {
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\\') ? ` E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/** What knex's pg pool hands out: a pg client. */
interface PgConnection {
  query(sql: string): Promise<{ rows: Row[] } | { rows: Row[] }[]>;
  end(): Promise<void>;
}

/** What knex-pglite hands out: the PGlite instance itself. */
interface PgliteConnection {
  exec(sql: string): Promise<{ rows: Row[] }[]>;
}

/** The session over a connection of `knex`'s pool, for either driver. */
async function withSession<T>(
  knex: Knex,
  driver: Driver,
  work: (session: SqlSession) => Promise<T>,
): Promise<T> {
  const connection: unknown = await knex.client.acquireConnection();
  const session: SqlSession = {
    script: async (sql) => {
      if (driver === 'pglite') {
        return (await (connection as PgliteConnection).exec(sql)).map((r) => r.rows);
      }
      const results = await (connection as PgConnection).query(sql);
      return (Array.isArray(results) ? results : [results]).map((r) => r.rows);
    },
  };
  try {
    return await work(session);
  } catch (error) {
    // Outside a transaction ROLLBACK only warns; a connection that cannot even do that is
    // closed, which takes it out of knex's pool.
    await session.script('ROLLBACK').catch(async () => {
      if (driver === 'pg') await (connection as PgConnection).end().catch(() => {});
    });
    throw error;
  } finally {
    await knex.client.releaseConnection(connection);
  }
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
  /**
   * Where knex's own warnings go (a failed connection attempt, a deprecation); unset: knex
   * writes them to the console, outside the server's JSON log.
   */
  readonly logger?: Logger | undefined;
}

/** knex's log option, into `logger` at debug level: the errors themselves reach the caller. */
const knexLog = (logger: Logger) => ({
  warn: (message: unknown) => logger.debug({ knex: String(message) }, 'knex warning'),
  error: (message: unknown) => logger.debug({ knex: String(message) }, 'knex error'),
  deprecate: (method: unknown, alternative: unknown) =>
    logger.debug({ knex: `${String(method)} is deprecated: ${String(alternative)}` }, 'knex'),
  debug: (message: unknown) => logger.trace({ knex: message }, 'knex debug'),
});

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
      ...(options.logger ? { log: knexLog(options.logger) } : {}),
    });
    return {
      knex,
      driver: 'pg',
      url: options.databaseUrl,
      session: (work) => withSession(knex, 'pg', work),
      close: () => knex.destroy(),
    };
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
    ...(options.logger ? { log: knexLog(options.logger) } : {}),
  });
  return {
    knex,
    driver: 'pglite',
    session: (work) => withSession(knex, 'pglite', work),
    close: async () => {
      await knex.destroy();
      if (!instance.closed) await instance.close();
      unlock();
    },
  };
}

/**
 * Whether the database answers and has every migration applied: `{ ready: true }`, else why
 * not (`database_unreachable`, or `migrations_pending` with how many). Never throws.
 */
export async function readiness(
  knex: Knex,
): Promise<{ ready: true } | { ready: false; reason: string; pending?: number }> {
  try {
    await knex.raw('select 1');
    const [, pending] = (await knex.migrate.list({ migrationSource })) as [unknown[], unknown[]];
    return pending.length === 0
      ? { ready: true }
      : { ready: false, reason: 'migrations_pending', pending: pending.length };
  } catch {
    return { ready: false, reason: 'database_unreachable' };
  }
}

/**
 * Runs every pending migration; returns the names of those applied. When another server holds
 * knex's migration lock (several starting at once), waits for it, up to a minute.
 * @throws the migration's error, or knex's lock error after a minute.
 */
export async function migrate(knex: Knex): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
      return applied;
    } catch (error) {
      const locked = error instanceof Error && /already locked/i.test(error.message);
      if (!locked || attempt >= 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
