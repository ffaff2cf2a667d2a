/**
 * Graceful shutdown: SIGTERM while an SDK-like client keeps 8 batches in flight. The process
 * must exit with code 0 within its shutdown timeout, answer every request it had received when
 * the signal came (it logs their IDs), and keep every batch it acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/support/child-server.js';
import { chaosDatabase, checkLedger, DATABASE_KINDS } from './support/ledger.js';
import { MANY_VISITORS, ProductionServer } from './support/production-server.js';
import { RetryingSender } from './support/retrying-sender.js';
import { chaosBatches, eventIds } from './support/traffic.js';
import { until } from './support/wait.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Closing the database after the requests: beyond the shutdown timeout, but bounded. */
const CLOSE_ALLOWANCE_MS = 20_000;
const CONCURRENCY = 8;

/** How many times each value occurs. */
const countBy = (values: readonly unknown[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
};

describe.each(DATABASE_KINDS)('graceful shutdown (%s)', (kind) => {
  it('answers the requests in flight at SIGTERM, keeps every acknowledged batch and exits 0', async () => {
    const database = await chaosDatabase(kind);
    const port = await freePort();
    const server = await ProductionServer.start(port, {
      ...database.env,
      ...MANY_VISITORS,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const { projectId, projectToken } = await server.firstProject();
    const sender = new RetryingSender({
      origin: server.url,
      token: projectToken,
      concurrency: CONCURRENCY,
    });
    try {
      // Large batches (500 events), so that requests queue in the server when the signal comes.
      const batches = chaosBatches(600, 47);
      const large = Array.from({ length: 60 }, (_, i) =>
        batches.slice(i * 10, i * 10 + 10).flatMap((b) => b.events),
      );
      const sentIds = eventIds(batches);
      const load = sender.sendAll(large);
      await until(
        () => sender.report().statuses['200'] !== undefined && sender.pending === CONCURRENCY,
        'batches are acknowledged and the client has every slot in flight',
      );

      const signalledAt = performance.now();
      server.child.kill('SIGTERM');
      const deadline = new Promise<'deadline'>((resolve) =>
        setTimeout(() => resolve('deadline'), SHUTDOWN_TIMEOUT_MS + CLOSE_ALLOWANCE_MS).unref(),
      );
      const exit = await Promise.race([server.exited, deadline]);
      const exitedAfterMs = Math.round(performance.now() - signalledAt);
      sender.abort();
      await load;
      expect(exit).toBe(0);

      // Every request the client had written before the signal got an answer, none was cut.
      const atSignal = sender.attempts.filter(
        (a) => a.writtenAt !== undefined && a.writtenAt < signalledAt && a.settledAt > signalledAt,
      );
      expect(atSignal.length).toBeGreaterThan(0);
      const cut = atSignal
        .filter((a) => a.status === undefined)
        .map((a) => `${a.requestId} ${a.error}`);
      expect(cut).toEqual([]);
      // The server answered every request it had received (it logs their IDs), cut none.
      const shuttingDown = await server.waitForLog((l) => Array.isArray(l.inFlight));
      const inFlight = shuttingDown.inFlight as string[];
      const outcome = new Map(sender.attempts.map((a) => [a.requestId, a]));
      const unanswered = inFlight.filter(
        (id) => id.startsWith('chaos-') && !outcome.get(id)?.status,
      );
      expect(unanswered).toEqual([]);
      const shutdownLog = server
        .recentLog()
        .split('\n')
        .filter((l) => /shutting down|cutting|stopped/.test(l));
      expect(shutdownLog.filter((l) => l.includes('cutting'))).toEqual([]);
      await server.waitForLog((l) => l.msg === 'stopped');

      const report = sender.report();
      expect(report.refused).toEqual([]);
      expect(report.incomplete).toEqual([]);
      const errors = Object.entries(report.connectionErrors).map(([code, n]) => `${code} ${n}`);
      await checkLedger(
        `graceful shutdown (${kind})`,
        database,
        projectId,
        report,
        sentIds,
        `exit 0 after ${exitedAfterMs} ms (timeout ${SHUTDOWN_TIMEOUT_MS} ms), ` +
          `${atSignal.length} requests in flight at SIGTERM all answered ` +
          `(${JSON.stringify(countBy(atSignal.map((a) => a.status)))}; the server had read ${inFlight.length}), ` +
          `afterwards ${errors.join(', ') || 'no connection errors'}`,
      );
    } finally {
      sender.close();
      await server.stop('SIGKILL');
      await database.dispose();
    }
  });
});
