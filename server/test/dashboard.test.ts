import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let dir: string;
let other: Awaited<ReturnType<TestServer['listenApp']>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vibariant-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Vibariant</title>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  server = await startTestServer({ dashboardDir: dir });
  other = await server.listenApp({ dashboardDir: join(dir, 'not-built') });
});
afterAll(async () => {
  await other?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html' };

describe('the dashboard, served by the server', () => {
  it('answers its pages with the app and its assets as files', async () => {
    const page = await server.request('GET', '/projects/p1/experiments/hero', { headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = await server.request('GET', '/assets/index-abc.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('never answers a missing file or a server path with the app', async () => {
    const missing = ['/assets/nope.js', '/assets/%00', '/vibariant.global.js.map', '/x/y.css'];
    // Server paths written with extra slashes or in capitals reach no route, and no page.
    const serverPaths = ['//api/projects', '//v1/config', '///auth/me', '//Metrics', '//API/x'];
    for (const path of [...missing, ...serverPaths]) {
      const res = await server.request('GET', path, { headers: html });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.error.code).toBe('not_found');
    }
    const api = await server.request('GET', '/api/nope', { headers: html });
    expect(api.status).toBe(401); // the API's own answer, not the app
    expect(api.headers.get('content-type')).toContain('application/json');
  });

  it('says how to build it when it is not built', async () => {
    const res = await other.request('GET', '/', { headers: html });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('dashboard_not_built');
  });
});
