import { defineConfig } from 'vitest/config';

/**
 * The demo's test starts the built server (`server/dist`, built by the global setup) on a
 * temporary embedded database; the SDK is read from its TypeScript sources.
 */
export default defineConfig({
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 150_000,
    hookTimeout: 60_000,
    globalSetup: ['test/build-server.ts'],
  },
});
