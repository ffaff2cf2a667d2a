/**
 * Crash: the server is killed with SIGKILL twice while an SDK-like client sends 20,000 events,
 * and started again. Every acknowledged event must be stored exactly once, and the stored
 * sufficient statistics must equal a recount from the raw events.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/support/child-server.js';
import { chaosDatabase, checkLedger, DATABASE_KINDS } from './support/ledger.js';
import { MANY_VISITORS, ProductionServer } from './support/production-server.js';
import { RetryingSender } from './support/retrying-sender.js';
import { chaosBatches, eventIds } from './support/traffic.js';
import { sleep, until } from './support/wait.js';

/** 400 batches of 50 events. */
const BATCHES = 400;
/** The share of events acknowledged at each kill. */
const KILL_AT = [0.25, 0.6];

describe.each(DATABASE_KINDS)('crash (%s)', (kind) => {
  it('keeps every acknowledged event exactly once through kill -9 and restarts', async () => {
    const database = await chaosDatabase(kind);
    const port = await freePort();
    const env = { ...database.env, ...MANY_VISITORS };
    let server = await ProductionServer.start(port, env);
    const sender = new RetryingSender({
      origin: server.url,
      token: (await server.firstProject()).projectToken,
      concurrency: 6,
    });
    const { projectId } = await server.firstProject();
    try {
      const batches = chaosBatches(BATCHES, 11);
      const sentIds = eventIds(batches);
      const load = sender.sendAll(batches.map((b) => b.events));

      let kills = 0;
      for (const share of KILL_AT) {
        await until(
          () => sender.report().acknowledged.size >= share * sentIds.size,
          `${share * 100} % of the events are acknowledged`,
        );
        expect(await server.stop('SIGKILL')).toBe('SIGKILL');
        kills++;
        // Down for a moment: the client meets refused connections and backs off.
        await sleep(300);
        server = await ProductionServer.start(port, env);
      }
      await load;
      expect(await server.stop('SIGTERM')).toBe(0);

      const report = sender.report();
      expect(report.refused).toEqual([]);
      expect(report.incomplete).toEqual([]);
      expect(report.acknowledged.size).toBe(sentIds.size);
      const errors = Object.entries(report.connectionErrors).map(([code, n]) => `${code} ${n}`);
      await checkLedger(
        `crash (${kind})`,
        database,
        projectId,
        report,
        sentIds,
        `${kills} kills, ${report.attempts} requests, answers ${JSON.stringify(report.statuses)}, ` +
          `connection errors: ${errors.join(', ') || 'none'}`,
      );
    } finally {
      sender.close();
      await server.stop('SIGKILL');
      await database.dispose();
    }
  });
});
