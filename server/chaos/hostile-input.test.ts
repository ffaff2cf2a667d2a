/**
 * Hostile input: 10,000 generated malformed or oversized requests (fast-check, fixed seed)
 * against every public route, with and without real credentials, on the built server with its
 * rate limits raised so that the handlers behind them are reached.
 *
 * Every answer must be a 4xx, or a 2xx/3xx where the request is one the server may accept:
 * public routes (`/healthz`, `/readyz`, `/metrics`, the dashboard and its assets, the SDK's
 * script, `/auth/providers`, a sign-in link asked for a valid address, a CORS preflight), and
 * `/v1` or `/api` requests that carry a real credential (a batch with valid events is stored,
 * an API call with valid fields does what it says). A 2xx on `/v1` or `/api` without a real
 * credential fails the test. Never a 5xx, never a hang (a request with a body over the 1 MB
 * limit may see its connection reset instead of the 413: see `check`); the process stays up and
 * its memory (RSS, from /metrics) grows less than 150 MB after a warm-up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/support/child-server.js';
import {
  type Credentials,
  describeRequest,
  type HostileRequest,
  hostileRequests,
  requestBytes,
} from './support/hostile-requests.js';
import { embeddedDatabase } from './support/ledger.js';
import { megabytes, ProductionServer } from './support/production-server.js';
import { rawRequest } from './support/raw-http.js';

const REQUESTS = 10_000;
const WARM_UP = 2_000;
const CONCURRENCY = 8;
/** Fixed, printed; `CHAOS_SEED=<n>` replays another run. */
const SEED = Number(process.env.CHAOS_SEED ?? 20_261_201);
/** A request without any answer after this long is a hang. */
const ANSWER_TIMEOUT_MS = 30_000;
/**
 * RSS after the warm-up moves by some 70 MB either way as V8 and PGlite size their heaps; a leak
 * of 20 KB per request (a request's body, say) would add about 160 MB.
 */
const MAX_RSS_GROWTH_BYTES = 150 * 1_048_576;

/** Signs in the first owner with the link the server logged, as the dashboard does. */
async function signIn(server: ProductionServer): Promise<{ cookie: string; csrfToken: string }> {
  const line = await server.waitForLog((l) => typeof l.signInLink === 'string');
  const token = new URL(String(line.signInLink)).searchParams.get('token');
  const response = await fetch(`${server.url}/auth/magic-link/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, csrfToken };
}

/** What the test counts. */
interface Tally {
  readonly statuses: Record<string, number>;
  readonly failures: string[];
  noAnswer: number;
}

describe('hostile input', () => {
  it(`answers ${REQUESTS} malformed requests with 4xx, never 5xx, in bounded memory`, async () => {
    const database = embeddedDatabase();
    const port = await freePort();
    const server = await ProductionServer.start(port, {
      ...database.env,
      RATE_LIMIT_PER_IP: '10000000',
      RATE_LIMIT_PER_TOKEN: '10000000',
      SIGN_IN_LINKS_PER_IP: '10000000',
      SIGN_IN_LINKS_PER_ADDRESS: '10000000',
    });
    try {
      const first = await server.firstProject();
      const session = await signIn(server);
      const credentials: Credentials = {
        projectId: first.projectId,
        projectToken: first.projectToken,
        apiKey: first.apiKey,
        sessionCookie: session.cookie,
        csrfToken: session.csrfToken,
      };
      const secrets = [credentials.projectToken, credentials.apiKey, session.cookie.split(';')[0]!];
      const requests = fc.sample(hostileRequests(credentials), { seed: SEED, numRuns: REQUESTS });
      const tally: Tally = { statuses: {}, failures: [], noAnswer: 0 };

      let next = 0;
      const runUntil = async (end: number) => {
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            for (let i = next++; i < end; i = next++) {
              await check(port, requests[i]!, i, secrets, tally);
            }
          }),
        );
        next = end;
      };
      await runUntil(WARM_UP);
      const rssAfterWarmUp = await server.residentMemory();
      await runUntil(REQUESTS);
      const rssAtEnd = await server.residentMemory();

      const healthy = await fetch(`${server.url}/healthz`);
      expect(healthy.status).toBe(200);
      expect(server.running).toBe(true);
      const serverErrors = server.errors();
      process.stdout.write(
        `hostile input: seed ${SEED}, ${REQUESTS} requests, answers ${JSON.stringify(tally.statuses)}, ` +
          `5xx ${countFrom(tally.statuses, 500)}, no answer ${tally.noAnswer}, ` +
          `RSS ${megabytes(rssAfterWarmUp)} MB after ${WARM_UP} -> ${megabytes(rssAtEnd)} MB, ` +
          `error log lines ${serverErrors.length}, process up\n`,
      );
      expect(tally.failures.slice(0, 10)).toEqual([]);
      expect(rssAtEnd - rssAfterWarmUp).toBeLessThan(MAX_RSS_GROWTH_BYTES);
      expect(serverErrors.map((l) => l.msg).slice(0, 5)).toEqual([]);
      expect(await server.stop('SIGTERM')).toBe(0);
    } finally {
      await server.stop('SIGKILL');
      await database.dispose();
    }
  });
});

/** Answers counted from `from` up to 599. */
function countFrom(statuses: Record<string, number>, from: number): number {
  return Object.entries(statuses)
    .filter(([status]) => Number(status) >= from && Number(status) < 600)
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Paths where a 2xx needs a real credential (CORS preflights aside). */
const GUARDED = /^\/+(api|v1)\//i;

/** Sends request `index` and records what is wrong with its answer, if anything. */
async function check(
  port: number,
  request: HostileRequest,
  index: number,
  secrets: readonly string[],
  tally: Tally,
): Promise<void> {
  const bytes = requestBytes(request);
  const answer = await rawRequest(port, bytes, ANSWER_TIMEOUT_MS);
  const status = answer.status;
  const key = status === undefined ? 'none' : String(status);
  tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
  const fail = (why: string) =>
    tally.failures.push(
      `#${index} ${why}: ${describeRequest(request)} -> ${answer.body.subarray(0, 300)}`,
    );
  if (status === undefined) {
    tally.noAnswer++;
    // A body over the 1 MB limit is refused unread; the server then closes with unread data,
    // and TCP's reset may discard the answer before the client reads it. Allowed for those.
    if (answer.timedOut || !('hugeBytes' in request.body)) {
      fail(answer.timedOut ? 'no answer in time' : 'connection closed without an answer');
    }
    return;
  }
  if (status >= 500) {
    fail(`status ${status}`);
    return;
  }
  if (status < 200) fail(`status ${status}`);
  const credentialed = secrets.some((secret) => bytes.includes(secret));
  if (
    status < 300 &&
    GUARDED.test(request.target) &&
    request.method !== 'OPTIONS' &&
    !credentialed
  ) {
    fail(`status ${status} without a credential`);
  }
  // The app's own errors are JSON naming what was wrong (Node's parser answers 400 and 431
  // without a body before the app sees the request).
  // Socket.IO's own answers (/socket.io/) follow Engine.IO's protocol: `{ code, message }`.
  const json = answer.headers['content-type']?.startsWith('application/json') === true;
  const engineIo = /^\/socket\.io\//i.test(request.target);
  if (status >= 400 && json && request.method !== 'HEAD' && !engineIo) {
    const text =
      answer.headers['transfer-encoding'] === 'chunked' ? dechunk(answer.body) : answer.body;
    const error = (JSON.parse(text.toString('utf8')) as { error?: Record<string, unknown> }).error;
    if (
      typeof error?.code !== 'string' ||
      typeof error.message !== 'string' ||
      typeof error.details !== 'object'
    ) {
      fail('error body without code, message and details');
    }
  }
}

/** The payload of a chunked body. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
