import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Global setup: builds the server as `npm run build` does (`server/dist/main.js` and its
 * command line), so the demo runs the current code.
 */
export function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@vibariant/server'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
