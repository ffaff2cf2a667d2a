/**
 * Load: 60 seconds of SDK traffic at a steady 400 events a second (a batch of 50 every 125 ms,
 * over three experiments and new and returning visitors) against the built server on its
 * embedded database, as `npm start` runs it. No errors, bounded memory, and the counts match:
 * stored events = acknowledged, stored statistics = recount, and the server's own
 * `vibariant_events_total{outcome="accepted"}` = what it acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/support/child-server.js';
import { checkLedger, embeddedDatabase } from './support/ledger.js';
import { MANY_VISITORS, megabytes, ProductionServer } from './support/production-server.js';
import { RetryingSender } from './support/retrying-sender.js';
import { chaosTraffic } from './support/traffic.js';
import { sleep } from './support/wait.js';

const DURATION_MS = 60_000;
const EVENTS_PER_SECOND = 400;
const BATCH_SIZE = 50;
/** RSS is sampled this often; the first sample after the warm-up is the baseline. */
const SAMPLE_EVERY_MS = 5_000;
const WARM_UP_MS = 10_000;
const MAX_RSS_GROWTH_BYTES = 100 * 1_048_576;

describe('load', () => {
  it(`sustains ${EVENTS_PER_SECOND} events/s for ${DURATION_MS / 1000} s with exact counts`, async () => {
    const database = embeddedDatabase();
    const port = await freePort();
    const server = await ProductionServer.start(port, { ...database.env, ...MANY_VISITORS });
    const { projectId, projectToken } = await server.firstProject();
    const sender = new RetryingSender({ origin: server.url, token: projectToken, concurrency: 16 });
    try {
      const traffic = chaosTraffic(31);
      const sentIds = new Set<string>();
      const samples: number[] = [await server.residentMemory()];
      const interval = (1000 * BATCH_SIZE) / EVENTS_PER_SECOND;
      const start = performance.now();
      let nextSample = start + SAMPLE_EVERY_MS;
      const deliveries: Promise<boolean>[] = [];
      for (let i = 0; ; i++) {
        const due = start + i * interval;
        if (due - start >= DURATION_MS) break;
        await sleep(due - performance.now());
        const batch = traffic.next();
        for (const event of batch.events) sentIds.add(event.id);
        deliveries.push(sender.send(batch.events));
        if (performance.now() >= nextSample) {
          samples.push(await server.residentMemory());
          nextSample += SAMPLE_EVERY_MS;
        }
      }
      const offeredSeconds = (performance.now() - start) / 1000;
      await Promise.all(deliveries);
      const elapsedSeconds = (performance.now() - start) / 1000;
      samples.push(await server.residentMemory());
      const accepted = (await server.metrics()).get('vibariant_events_total{outcome="accepted"}');
      expect(await server.stop('SIGTERM')).toBe(0);

      const report = sender.report();
      expect(report.statuses).toEqual({ '200': deliveries.length });
      expect(report.connectionErrors).toEqual({});
      expect(report.incomplete).toEqual([]);
      expect(report.acknowledged.size).toBe(sentIds.size);
      expect(accepted).toBe(report.acknowledged.size);
      expect(report.accepted).toBe(report.acknowledged.size);
      expect(server.errors()).toEqual([]);

      // Growth under load, from the warm-up on: the first start's migrations may have left
      // the process larger than the load ever makes it.
      const warmedUp = samples.slice(Math.ceil(WARM_UP_MS / SAMPLE_EVERY_MS));
      const baseline = warmedUp[0] ?? samples[0]!;
      const peak = Math.max(...warmedUp, baseline);
      const rate = Math.round(report.acknowledged.size / elapsedSeconds);
      await checkLedger(
        'load',
        database,
        projectId,
        report,
        sentIds,
        `${deliveries.length} batches offered over ${offeredSeconds.toFixed(0)} s, ` +
          `${rate} events/s acknowledged, metrics accepted ${accepted}, ` +
          `RSS ${megabytes(samples[0]!)} MB at start, ${megabytes(baseline)} MB after warm-up, ` +
          `peak ${megabytes(peak)} MB, ${megabytes(samples.at(-1)!)} MB at the end`,
      );
      expect(peak - baseline).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    } finally {
      sender.close();
      await server.stop('SIGKILL');
      await database.dispose();
    }
  });
});
