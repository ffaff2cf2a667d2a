import { defineConfig } from 'vitest/config';

/**
 * The chaos and load suite (`npm run test:chaos`): the built server (`npm run build`, then
 * `node server/dist/main.js`) in child processes, killed, starved of its database, flooded with
 * hostile input, loaded and stopped. One file at a time, so that each measures the server
 * alone; generous timeouts for a slow machine (the tests assert no timings).
 */
export default defineConfig({
  // Workspace packages are read from their TypeScript sources, not their builds.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['chaos/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
