/**
 * Database restart: a private PostgreSQL (its own cluster, port and directory) is stopped
 * while an SDK-like client sends events, then started again. While it is down the API answers
 * 503 `database_unavailable` (with Retry-After) and `/readyz` 503, never 500; afterwards the
 * same server process recovers by itself and nothing acknowledged is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/support/child-server.js';
import { BROWSER_USER_AGENT } from '../test/support/test-server.js';
import { type ChaosDatabase, checkLedger, postgresDatabase } from './support/ledger.js';
import { PrivatePostgres, postgresInstalled } from './support/private-postgres.js';
import { MANY_VISITORS, ProductionServer } from './support/production-server.js';
import { RetryingSender } from './support/retrying-sender.js';
import { chaosBatches, eventIds } from './support/traffic.js';
import { sleep, until } from './support/wait.js';

/** 200 batches of 50 events. */
const BATCHES = 200;
/** The API's error answers. */
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** How long the database stays down each time, in milliseconds. */
const DOWN_MS = 3_000;
/** When (share of events acknowledged) PostgreSQL is stopped, and how. */
const OUTAGES = [
  { at: 0.3, mode: 'fast' },
  { at: 0.65, mode: 'immediate' },
] as const;

/**
 * Asks every kind of route while the database is down: `/readyz`, an event batch, the SDK's
 * configuration and the management API must answer 503 (`database_unavailable`, with
 * Retry-After), `/healthz` 200. Returns the statuses by route.
 */
async function probeWhileDown(
  url: string,
  projectId: string,
  projectToken: string,
  apiKey: string,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  const probe = async (name: string, path: string, init: RequestInit = {}) => {
    const response = await fetch(url + path, init);
    statuses[name] = response.status;
    return response;
  };
  const ready = await probe('readyz', '/readyz');
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ ok: false, reason: 'database_unreachable' });
  const events = await probe('events', '/v1/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${projectToken}`,
      'user-agent': BROWSER_USER_AGENT,
    },
    body: JSON.stringify({
      events: [{ type: 'conversion', id: 'probe', visitorId: 'probe', goal: 'signup' }],
    }),
  });
  expect(events.status).toBe(503);
  expect(Number(events.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await events.json()) as ErrorBody).error).toMatchObject({
    code: 'database_unavailable',
  });
  const config = await probe('config', '/v1/config', {
    headers: { authorization: `Bearer ${projectToken}` },
  });
  expect(config.status).toBe(503);
  const api = await probe('api', `/api/projects/${projectId}/experiments`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(api.status).toBe(503);
  expect(((await api.json()) as ErrorBody).error.code).toBe('database_unavailable');
  expect((await probe('healthz', '/healthz')).status).toBe(200);
  return statuses;
}

// Skipped where PostgreSQL's binaries are not installed, except under CI=true, where it fails.
describe.runIf(postgresInstalled() || process.env.CI === 'true')(
  'database restart (private PostgreSQL)',
  () => {
    let cluster: PrivatePostgres;
    let database: ChaosDatabase;
    beforeAll(async () => {
      cluster = await PrivatePostgres.create();
      database = await postgresDatabase(cluster.url, 'private pg');
    });
    afterAll(async () => {
      await database?.dispose().catch(() => {});
      await cluster?.destroy();
    });

    it('answers 503 while PostgreSQL is down and recovers without a restart', async () => {
      const port = await freePort();
      const server = await ProductionServer.start(port, { ...database.env, ...MANY_VISITORS });
      const { projectId, projectToken, apiKey } = await server.firstProject();
      const sender = new RetryingSender({
        origin: server.url,
        token: projectToken,
        concurrency: 4,
      });
      try {
        const batches = chaosBatches(BATCHES, 23);
        const sentIds = eventIds(batches);
        const load = sender.sendAll(batches.map((b) => b.events));

        const probes: Record<string, number>[] = [];
        for (const outage of OUTAGES) {
          await until(
            () => sender.report().acknowledged.size >= outage.at * sentIds.size,
            `${outage.at * 100} % of the events are acknowledged`,
          );
          await cluster.stop(outage.mode);
          const stoppedAt = Date.now();
          probes.push(await probeWhileDown(server.url, projectId, projectToken, apiKey));
          await sleep(Math.max(0, DOWN_MS - (Date.now() - stoppedAt)));
          await cluster.start();
          await until(async () => (await fetch(`${server.url}/readyz`)).ok, '/readyz answers 200');
        }
        await load;
        expect(server.running).toBe(true); // the same process throughout
        expect(await server.stop('SIGTERM')).toBe(0);

        const report = sender.report();
        expect(report.refused).toEqual([]);
        expect(report.incomplete).toEqual([]);
        expect(report.statuses['503']).toBeGreaterThan(0); // the load met the outage
        const failures = Object.keys(report.statuses).filter((s) => s !== '200' && s !== '503');
        expect(failures).toEqual([]);
        expect(report.connectionErrors).toEqual({}); // the server never went away
        await checkLedger(
          'database restart',
          database,
          projectId,
          report,
          new Set([...sentIds, 'probe']),
          `${OUTAGES.length} outages of ${DOWN_MS} ms (${OUTAGES.map((o) => o.mode).join(', ')}), ` +
            `answers ${JSON.stringify(report.statuses)}, probes while down ${JSON.stringify(probes[0])}`,
        );
      } finally {
        sender.close();
        await server.stop('SIGKILL');
      }
    });
  },
);
