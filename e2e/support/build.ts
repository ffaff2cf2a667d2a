import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The SDK's build, as its package exports it. */
export const SDK_DIST = join(ROOT, 'sdk', 'dist');
/**
 * The React landing page of `sdk/examples/react-landing`, built by its own script against the
 * SDK's build, as an app's bundler would: `index.html`, `landing.js` and `landing.css`.
 */
export const LANDING_DIST = join(import.meta.dirname, '..', '.build', 'landing');

/**
 * Global setup: builds the SDK with its own tsup configuration and the dashboard with Vite (what
 * `npm start` builds), then the landing page example with its build script (so that the example
 * cannot go stale: these tests use it).
 */
export function setup(): void {
  for (const workspace of ['@vibariant/sdk', '@vibariant/client']) {
    execFileSync('npm', ['run', 'build', '--silent', '-w', workspace], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  execFileSync(
    process.execPath,
    [join(ROOT, 'sdk', 'examples', 'react-landing', 'build.mjs'), '--outdir', LANDING_DIST],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/**
 * The example's built `index.html` for a project: its token, the server at `apiHost`, and
 * automated browsers allowed (`data-allow-bots`). Serve it at `/landing/`, beside its assets.
 */
export function landingPage(token: string, apiHost: string): string {
  const attribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return readFileSync(join(LANDING_DIST, 'index.html'), 'utf8')
    .replace(/data-token="[^"]*"/, `data-token="${attribute(token)}"`)
    .replace(
      /data-api-host="[^"]*"/,
      `data-api-host="${attribute(apiHost)}" data-allow-bots="true"`,
    );
}
