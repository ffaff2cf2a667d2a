import solid from 'vite-plugin-solid';
import { defineConfig } from 'vitest/config';

/** Where `npm run dev` sends API, sign-in and Socket.IO requests (the server's `npm start`). */
const api = process.env.VIBARIANT_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [solid()],
  server: {
    port: 5173,
    proxy: {
      '/api': api,
      '/auth': api,
      '/v1': api,
      '/vibariant.global.js': api,
      '/socket.io': { target: api, ws: true },
    },
  },
  build: { target: 'es2022', sourcemap: true },
  // Unit tests of the dashboard's own logic; its screens are tested in chromium (e2e/).
  test: { environment: 'node', include: ['test/**/*.test.ts'] },
});
