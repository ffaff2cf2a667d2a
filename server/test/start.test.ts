import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Browser } from './support/browser.js';
import { freePort, startServerProcess, stopServerProcess } from './support/child-server.js';
import { TEST_DRIVER } from './support/test-database.js';

const dataDir = mkdtempSync(join(tmpdir(), 'vibariant-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `npm start`'s entry point on a fresh embedded database; returns its JSON log lines. */
async function start(port: number, env: Record<string, string> = {}) {
  const logged: Record<string, unknown>[] = [];
  const child = await startServerProcess(
    port,
    { VIBARIANT_DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    (line) => logged.push(JSON.parse(line)),
  );
  return { child, logged };
}

// What a first start prints is the same on either database; one run of it is enough.
describe.runIf(TEST_DRIVER === 'pglite')('the first start', () => {
  it('prints the URL and a link that signs the first user in as owner, once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await start(port);
    let link: string;
    try {
      // Logged when it starts listening, before it answered /readyz; the pipe may lag.
      await expect
        .poll(() => first.logged.find((l) => l.msg === `Vibariant is running at ${url}`))
        .toMatchObject({ url });
      const welcome = first.logged.find((l) => typeof l.signInLink === 'string');
      expect(welcome).toMatchObject({ email: 'owner@vibariant.localhost' });
      link = String(welcome?.signInLink);
      expect(link).toMatch(new RegExp(`^${url}/auth/magic-link/verify\\?token=[\\w-]{43}$`));

      const browser = new Browser(url);
      const token = new URL(link).searchParams.get('token') ?? '';
      const verified = await browser.fetch('POST', '/auth/magic-link/verify', { form: { token } });
      expect(verified.status).toBe(303);
      const projects = await browser.fetch('GET', '/api/projects');
      expect(projects.body.projects).toMatchObject([{ name: 'My project' }]);
      const team = await browser.fetch(
        'GET',
        `/api/projects/${projects.body.projects[0].id}/members`,
      );
      expect(team.body.members).toMatchObject([
        { email: 'owner@vibariant.localhost', role: 'owner' },
      ]);
    } finally {
      await stopServerProcess(first.child);
    }

    // Someone has signed in: a restart prints no new link.
    const second = await start(port);
    try {
      await expect
        .poll(() => second.logged.some((l) => l.msg === `Vibariant is running at ${url}`))
        .toBe(true);
      expect(second.logged.some((l) => 'signInLink' in l)).toBe(false);
    } finally {
      await stopServerProcess(second.child);
    }
  }, 90_000);

  it('names HOST and PORT when the port is taken, before making a project or a link', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    const fresh = mkdtempSync(join(tmpdir(), 'vibariant-taken-'));
    try {
      const child = spawn(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', 'src/main.ts'],
        {
          cwd: join(import.meta.dirname, '..'),
          env: {
            ...process.env,
            PORT: String(port),
            VIBARIANT_DATA_DIR: fresh,
            LOG_FORMAT: 'json',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(
        `vibariant: cannot listen on HOST 127.0.0.1, PORT ${port}: the port is in use`,
      );
      expect(stdout).not.toContain('apiKey');
      expect(stdout).not.toContain('signInLink');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 90_000);

  it('shuts down with exit code 0 when the reader of its log has gone', async () => {
    const { child } = await start(await freePort());
    child.stdout?.destroy(); // as when `npm start | head` has stopped reading
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});
