/**
 * `npm run migrate`: applies pending migrations to the configured database (`DATABASE_URL`, else
 * the embedded PGlite under `VIBARIANT_DATA_DIR`), the same ones the server runs at start-up.
 * Exit code 1 when a migration fails.
 */
import { loadConfig } from '../src/config.js';
import { migrate, openDatabase } from '../src/db/database.js';

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const applied = await migrate(db.knex);
  const where = db.driver === 'pg' ? 'PostgreSQL' : `PGlite at ${config.dataDir}`;
  console.log(
    applied.length === 0
      ? `${where}: up to date`
      : `${where}: applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join('\n')}`,
  );
} catch (err) {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
