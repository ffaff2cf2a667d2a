/**
 * The load generator of the ingestion benchmark, run in a worker thread so that the client's
 * work does not share the event loop of the server it measures. It POSTs pre-built bodies with a
 * fixed number of requests in flight and reports the elapsed time and what the server answered.
 */
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { type PostTarget, post } from './http-post.js';

/** One load run: every body is sent once, `concurrency` at a time. */
export interface LoadJob {
  readonly target: PostTarget;
  readonly bodies: readonly string[];
  readonly concurrency: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** From the first request sent to the last response received. */
  readonly elapsedMs: number;
  /** Latency of each request, in milliseconds, sorted ascending. */
  readonly latenciesMs: number[];
  /** Responses per HTTP status. */
  readonly statuses: Record<string, number>;
  /** Sums over the responses of `POST /v1/events`. */
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Stored events not counted anywhere, per reason. */
  readonly notCounted: Record<string, number>;
  /** The body of the first response that was not 200, if any. */
  readonly firstError: string | null;
}

interface IngestResponse {
  accepted?: number;
  duplicates?: number;
  rejected?: unknown[];
  notCounted?: { reason: string }[];
}

/** Runs the job; resolves when every body has had its response. */
export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const bodies = job.bodies.map((b) => Buffer.from(b, 'utf8'));
  const latencies: number[] = new Array(bodies.length);
  const responses: { status: number; text: string }[] = new Array(bodies.length);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const t0 = performance.now();
        responses[i] = await post(agent, job.target, bodies[i]!);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  agent.destroy();

  const statuses: Record<string, number> = {};
  const notCounted: Record<string, number> = {};
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  let firstError: string | null = null;
  for (const response of responses) {
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.status !== 200) {
      firstError ??= response.text.slice(0, 500);
      continue;
    }
    const body = JSON.parse(response.text) as IngestResponse;
    accepted += body.accepted ?? 0;
    duplicates += body.duplicates ?? 0;
    rejected += body.rejected?.length ?? 0;
    for (const { reason } of body.notCounted ?? []) {
      notCounted[reason] = (notCounted[reason] ?? 0) + 1;
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    elapsedMs,
    latenciesMs: latencies,
    statuses,
    accepted,
    duplicates,
    rejected,
    notCounted,
    firstError,
  };
}

if (parentPort) {
  const port = parentPort;
  runLoad(workerData as LoadJob).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) => port.postMessage({ ok: false, error: String(error) }),
  );
}
