import { defineConfig } from 'vitest/config';

/**
 * Integration tests run once on the embedded PGlite and, when TEST_DATABASE_URL names a
 * PostgreSQL server (CI: postgres://postgres@127.0.0.1:5432/postgres), once more on it. Each test
 * file gets its own database and drops it.
 */
const postgresUrl = process.env.TEST_DATABASE_URL;

const project = (driver: 'pglite' | 'pg') => ({
  extends: true as const,
  test: {
    name: driver,
    env: { VIBARIANT_TEST_DRIVER: driver },
    include: ['test/**/*.test.ts'],
    ...(driver === 'pg' ? { globalSetup: ['test/support/postgres-template.ts'] } : {}),
  },
});

export default defineConfig({
  // Workspace packages are read from their TypeScript sources, not their builds.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: postgresUrl ? [project('pglite'), project('pg')] : [project('pglite')],
  },
});
