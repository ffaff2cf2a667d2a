/**
 * Live latency benchmark (part of `npm run bench -w server`; prints, never fails on a number):
 * the time from the moment `POST /v1/events` is acknowledged to the moment a client subscribed
 * to the experiment's room receives a decision that includes that batch, at 200 and at 2,000
 * events per second on one server over PostgreSQL, with the events sent and counted (they must
 * match). Target: p99 under 50 ms at 2,000 events per second.
 *
 * "Includes the batch": every acknowledged batch is committed, so a pushed decision whose
 * visitors reach the number acknowledged so far includes it. Batches hold 20 exposures of new
 * visitors. Knobs: BENCH_LIVE_SECONDS (per rate, default 10). Its key results also go to the
 * summary of `npm run bench` (bench/results.ts).
 */
import { createServer, Agent as HttpAgent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { recordMeasure } from '../../bench/results.js';
import { createApp } from '../src/app.js';
import { createServices } from '../src/composition-root.js';
import { migrate, openDatabase } from '../src/db/database.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../src/realtime/contracts.js';
import { attachRealtime } from '../src/realtime/realtime-server.js';
import { startBenchRun } from './bench-database.js';
import { post } from './http-post.js';

const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SECONDS = Math.max(1, Number(process.env.BENCH_LIVE_SECONDS) || 10);
const RATES = [200, 2_000];
const BATCH_EVENTS = 20;
const TARGET_P99_MS = 50;

const BENCHMARK = 'server live updates';

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const database = await startBenchRun(import.meta.url, 'live bench', BENCHMARK);
  if (!database) return;
  const db = await openDatabase({ databaseUrl: database.url });
  const http = createServer();
  let realtime: ReturnType<typeof attachRealtime> | undefined;
  let services: ReturnType<typeof createServices> | undefined;
  try {
    await migrate(db.knex);
    services = createServices({ db, logger: pino({ level: 'silent' }) });
    http.on(
      'request',
      createApp(services, {
        rateLimitPerIp: 1e9,
        rateLimitPerToken: 1e9,
        trustProxy: 0,
        signInLinksPerIp: 1,
        signInLinksPerAddress: 1,
      }),
    );
    realtime = attachRealtime(http, services);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    console.log(
      `\n== Live decisions: POST acknowledged -> decision received by a subscribed client (one server, PostgreSQL, batches of ${BATCH_EVENTS}, ${SECONDS} s per rate) ==`,
    );
    console.log(' events/s | batches | sent    counted | p50 ms  p95 ms  p99 ms | pushes');
    /** Latency quantiles at the lower rate, the baseline of the higher one in the summary. */
    let slow: { rate: number; p50: number; p99: number } | undefined;
    for (const rate of RATES) {
      const { project, token, apiKey } = await services.projects.createProject(`Live ${rate}`);
      const target = {
        origin,
        path: '/v1/events',
        headers: {
          'content-type': 'application/json',
          'user-agent': BROWSER_USER_AGENT,
          'x-vibariant-token': token.token,
        },
      };
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
      let seq = 0;
      const body = () =>
        Buffer.from(
          JSON.stringify({
            events: Array.from({ length: BATCH_EVENTS }, () => {
              const n = ++seq;
              return {
                type: 'exposure',
                id: `${rate}-${n}`,
                visitorId: `${rate}-v${n}`,
                experiment: 'live',
                variant: n % 2 ? 'b' : 'control',
                variants: ['control', 'b'],
              };
            }),
          }),
        );
      await post(agent, target, body()); // creates the experiment
      await services.decisions.whenIdle();
      const client: Socket<ServerToClientEvents, ClientToServerEvents> = connect(origin, {
        transports: ['websocket'],
        auth: { apiKey: apiKey.key },
      });
      await new Promise<void>((resolve, reject) => {
        client.on('connect', () => resolve());
        client.on('connect_error', reject);
      });
      await client.emitWithAck('experiment:join', { projectId: project.id, experimentKey: 'live' });

      // Batches in order of acknowledgement, waiting for the first push that includes them.
      const waiting: { acked: number; at: number }[] = [];
      const latencies: number[] = [];
      let acked = BATCH_EVENTS;
      let pushes = 0;
      let lastVisitors = 0;
      client.on('decision:updated', (update) => {
        const now = performance.now();
        pushes++;
        lastVisitors = update.decision.variants.reduce((n, v) => n + v.visitors, 0);
        while (waiting.length > 0 && waiting[0]!.acked <= lastVisitors) {
          latencies.push(now - waiting.shift()!.at);
        }
      });

      const batches = Math.round((rate * SECONDS) / BATCH_EVENTS);
      const intervalMs = (1000 * BATCH_EVENTS) / rate;
      const start = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < batches; i++) {
        const due = start + i * intervalMs;
        const delay = due - performance.now();
        if (delay > 1) await new Promise((resolve) => setTimeout(resolve, delay));
        inFlight.push(
          post(agent, target, body()).then((response) => {
            if (response.status !== 200) throw new Error(`POST answered ${response.status}`);
            acked += BATCH_EVENTS;
            waiting.push({ acked, at: performance.now() });
          }),
        );
      }
      await Promise.all(inFlight);
      await services.decisions.whenIdle();
      await new Promise((resolve) => setTimeout(resolve, 500)); // the last trailing push
      const sent = BATCH_EVENTS * (batches + 1);
      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(
        ` ${String(rate).padStart(8)} | ${String(batches).padStart(7)} | ${String(sent).padStart(7)} ${String(lastVisitors).padStart(7)} | ${quantile(sorted, 0.5).toFixed(1).padStart(6)} ${quantile(sorted, 0.95).toFixed(1).padStart(7)} ${quantile(sorted, 0.99).toFixed(1).padStart(7)} | ${pushes}${waiting.length > 0 ? ` (${waiting.length} batches never seen in a push)` : ''}`,
      );
      const p50 = quantile(sorted, 0.5);
      const p99 = quantile(sorted, 0.99);
      if (rate === 2_000) {
        console.log(
          `target: p99 < ${TARGET_P99_MS} ms at 2,000 events/s: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'}; sent = counted: ${sent === lastVisitors ? 'yes' : 'NO'}`,
        );
        const baselineName = slow ? `same at ${slow.rate} events/s` : '';
        recordMeasure({
          benchmark: BENCHMARK,
          measure: 'POST acknowledged to decision pushed, p50 at 2,000 events/s',
          unit: 'ms',
          ours: p50,
          baseline: slow?.p50 ?? null,
          baselineName,
          better: 'lower',
        });
        recordMeasure({
          benchmark: BENCHMARK,
          measure: 'POST acknowledged to decision pushed, p99 at 2,000 events/s',
          unit: 'ms',
          ours: p99,
          baseline: slow?.p99 ?? null,
          baselineName,
          better: 'lower',
          target: `< ${TARGET_P99_MS} ms`,
          met: p99 < TARGET_P99_MS,
        });
        recordMeasure({
          benchmark: BENCHMARK,
          measure: 'events counted at 2,000 events/s',
          unit: 'events',
          ours: lastVisitors,
          baseline: sent,
          baselineName: 'events sent',
          better: 'higher',
          target: 'all counted',
          met: sent === lastVisitors,
        });
      } else {
        slow = { rate, p50, p99 };
      }
      client.close();
      agent.destroy();
    }
    console.log(
      '(decisions are recomputed at once after a quiet spell, then at most every 50 ms per experiment, and pushed at most every 100 ms: a batch acknowledged right after a push waits for the next one)',
    );
  } finally {
    if (realtime) await realtime.close();
    else http.close();
    await services?.stop();
    await db.close();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('live bench failed:', error);
    process.exit(1);
  },
);
