import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/composition-root.js';
import { migrate, openDatabase } from '../src/db/database.js';
import { freePort, startServerProcess } from './support/child-server.js';
import { TEST_DRIVER } from './support/test-database.js';
import { BROWSER_USER_AGENT } from './support/test-server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'vibariant-durable-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `npm start`'s entry point on the embedded database in `dataDir`. */
const startServer = (port: number) => startServerProcess(port, { VIBARIANT_DATA_DIR: dataDir });

// PostgreSQL's own durability is not ours to test; the embedded database's set-up is.
describe.runIf(TEST_DRIVER === 'pglite')('durability of the embedded database', () => {
  it('keeps every acknowledged event when the process is killed', async () => {
    const setup = await openDatabase({ dataDir });
    await migrate(setup.knex);
    const services = createServices({ db: setup, logger: pino({ level: 'silent' }) });
    const { token } = await services.projects.createProject('Durable');
    await services.stop();
    await setup.close();

    const port = await freePort();
    const child = await startServer(port);
    const acknowledged: string[] = [];
    try {
      for (let batch = 0; batch < 5; batch++) {
        const events = Array.from({ length: 20 }, (_, i) => ({
          type: 'exposure',
          id: `durable-${batch}-${i}`,
          visitorId: `visitor-${batch}-${i}`,
          experiment: 'durable',
          variant: i % 2 ? 'b' : 'control',
          variants: ['control', 'b'],
        }));
        const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token.token}`,
            'user-agent': BROWSER_USER_AGENT,
          },
          body: JSON.stringify({ events }),
        });
        expect(res.status).toBe(200);
        acknowledged.push(...events.map((e) => e.id));
      }
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }

    const after = await openDatabase({ dataDir });
    try {
      const stored = await after.knex('events').pluck('event_id');
      expect(new Set(stored)).toEqual(new Set(acknowledged));
      const visitors = await after.knex('variant_exposure_stats').sum({ n: 'visitors' });
      expect(visitors[0]?.n).toBe(100);
    } finally {
      await after.close();
    }
  }, 60_000);
});
