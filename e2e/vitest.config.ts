import { defineConfig } from 'vitest/config';

/**
 * Browser tests run once, on the machine's PostgreSQL when TEST_DATABASE_URL names it (CI),
 * else on the embedded PGlite. Each file starts one server, one web site and one chromium.
 */
const postgres = process.env.TEST_DATABASE_URL !== undefined;

export default defineConfig({
  // Workspace packages are read from their TypeScript sources; pages use the SDK's build.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { VIBARIANT_TEST_DRIVER: postgres ? 'pg' : 'pglite' },
    globalSetup: [
      'support/build.ts',
      ...(postgres ? ['../server/test/support/postgres-template.ts'] : []),
    ],
  },
});
