import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';
import { BROWSER_USER_AGENT } from '../../server/test/support/test-server.js';

/** Debian's chromium, or the one `CHROMIUM_PATH` names. */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

if (!CHROMIUM_PATH) {
  const message =
    'No chromium found (install Debian\'s "chromium" or set CHROMIUM_PATH): browser tests cannot run';
  // A CI run without the browser has not tested what it claims to: fail it.
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** SKIPPED: ${message} ***\n\n`);
}

/** `describe` when chromium is here; else the suite is skipped (after the warning above). */
export const describeInBrowser = CHROMIUM_PATH ? describe : describe.skip;

/**
 * Starts headless chromium once (a test file shares it; each test opens its own context).
 * @throws Error when no chromium is installed.
 */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('no chromium');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Headless chromium names itself in its User-Agent, and the server does not count bots.
      // Set here, not per context: beacons sent while a page unloads use the browser's own.
      `--user-agent=${BROWSER_USER_AGENT}`,
    ],
  });
}
