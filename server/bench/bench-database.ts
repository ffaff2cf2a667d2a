/**
 * The benchmark's own PostgreSQL database: created on the server the URL points at, named
 * `vibariant_bench_<random>`, and dropped at the end. No other database is ever touched.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { recordSkip } from '../../bench/results.js';

/** Prefix of every database the benchmark creates. */
export const BENCH_DATABASE_PREFIX = 'vibariant_bench_';

/** The server to benchmark against: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else local. */
export function benchServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  );
}

/** The URL with its password masked, for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A database created for this run; `drop()` is idempotent and never throws. */
export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  readonly serverVersion: string;
  drop(): Promise<void>;
}

/**
 * Connects to the server and creates a fresh database. Resolves to undefined when the server
 * cannot be reached (the caller prints a skip line); other errors reject.
 */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase | undefined> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  admin.on('error', () => {
    // A dropped admin connection surfaces on its next query; nothing to do here.
  });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `${BENCH_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  // The name is the fixed prefix and hex digits: safe to splice into the statement.
  await admin.query(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    url: withDatabase(serverUrl, name),
    serverVersion: rows[0]?.server_version ?? 'unknown',
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch (error) {
        console.error(`could not drop ${name}: ${String(error)}`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}

/**
 * The start of a benchmark run: a fresh database on the benchmark's server, or undefined (with
 * the reason printed, and recorded as a skipped row for the summary of `npm run bench`) when
 * the file is not the bundled benchmark or no PostgreSQL answers. `label` names the benchmark
 * in the skip line, `benchmark` in the summary.
 */
export async function startBenchRun(
  moduleUrl: string,
  label: string,
  benchmark: string,
): Promise<BenchDatabase | undefined> {
  if (!moduleUrl.endsWith('.mjs')) {
    console.log('run the bundled benchmark: npm run bench -w server');
    recordSkip(benchmark, 'all', 'not the bundled benchmark');
    return undefined;
  }
  const serverUrl = benchServerUrl();
  const database = await createBenchDatabase(serverUrl);
  if (!database) {
    const why = `no PostgreSQL at ${redactUrl(serverUrl)}`;
    console.log(`${label} skipped: ${why}`);
    recordSkip(benchmark, 'all', why);
  }
  return database;
}
