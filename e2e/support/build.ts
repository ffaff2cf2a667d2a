import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The SDK's build, as its package exports it. */
export const SDK_DIST = join(import.meta.dirname, '..', '..', 'sdk', 'dist');
/** Pages bundled for the browser (a React app using `@vibariant/sdk/react`). */
export const PAGES_DIST = join(import.meta.dirname, '..', '.build');

/**
 * Global setup: builds the SDK with its own tsup configuration and the dashboard with Vite (what
 * `npm start` builds), then bundles the test pages against the SDK's build, as an app's bundler
 * would.
 */
export async function setup(): Promise<void> {
  for (const workspace of ['@vibariant/sdk', '@vibariant/client']) {
    execFileSync('npm', ['run', 'build', '--silent', '-w', workspace], {
      cwd: join(import.meta.dirname, '..', '..'),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  await build({
    entryPoints: ['react-app.tsx', 'landing.tsx'].map((page) =>
      join(import.meta.dirname, '..', 'pages', page),
    ),
    outdir: PAGES_DIST,
    bundle: true,
    format: 'esm',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
}
