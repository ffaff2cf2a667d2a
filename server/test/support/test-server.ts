import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { type Logger, pino } from 'pino';
import { expect } from 'vitest';
import { type AppOptions, createApp } from '../../src/app.js';
import { type AccountOptions, createServices, type Services } from '../../src/composition-root.js';
import type { Database } from '../../src/db/database.js';
import type { IngestOutcome } from '../../src/features/ingestion/ingestion-service.js';
import type { WebhookOptions } from '../../src/features/webhooks/webhook-service.js';
import { answerClientErrors } from '../../src/http/client-errors.js';
import { attachRealtime } from '../../src/realtime/realtime-server.js';
import { createTestDatabase } from './test-database.js';

/** What a desktop Chrome sends; Node's own fetch user agent counts as a bot. */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A clock the test moves by hand, in milliseconds since the epoch. */
export class TestClock {
  constructor(public time = Date.parse('2026-11-30T12:00:00Z')) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface TestServer {
  readonly url: string;
  readonly db: Database;
  readonly services: Services;
  readonly clock: TestClock;
  /** A new project with its token and API key. */
  createProject(name?: string): Promise<{ projectId: string; token: string; apiKey: string }>;
  /** fetch against the server, JSON in and out. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string>; rawBody?: string },
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  ): Promise<{ status: number; headers: Headers; body: any }>;
  /**
   * Posts SDK events with a project token, checks that every one was valid, waits for the
   * decisions they cause, and returns the response body.
   */
  ingest(token: string, events: unknown[]): Promise<IngestOutcome>;
  /** Another app over the same services and database, with other options (rate limits). */
  listenApp(options: Partial<AppOptions>): Promise<{
    url: string;
    request: TestServer['request'];
    close(): Promise<void>;
  }>;
  close(): Promise<void>;
}

const appOptions = (options: Partial<AppOptions>): AppOptions => ({
  rateLimitPerIp: 1_000_000,
  rateLimitPerToken: 1_000_000,
  trustProxy: 0,
  signInLinksPerIp: 1_000_000,
  signInLinksPerAddress: 1_000_000,
  ...options,
});

async function listen(
  app: Express,
  realtime?: Services,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(app);
  answerClientErrors(server);
  const realtimeLayer = realtime ? attachRealtime(server, realtime) : undefined;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      // Socket.IO closes the HTTP server with its sockets.
      if (realtimeLayer) await realtimeLayer.close();
      else await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** fetch bound to one server: JSON in and out, a browser User-Agent unless told otherwise. */
function requestFor(url: string): TestServer['request'] {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'user-agent': BROWSER_USER_AGENT, ...opts.headers };
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body: body ?? null });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
}

/** What a test may set besides the app's options. */
export interface TestServerOptions extends Partial<AppOptions> {
  /** Sign-in settings (default: a random session key, mail to the silent log). */
  readonly accounts?: AccountOptions;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Webhook delivery timing (default: the product's, minutes between retries). */
  readonly webhooks?: WebhookOptions;
  /** The server's clock (default: `clock`, moved by hand): `Date.now` for a real browser. */
  readonly now?: () => number;
}

/**
 * The real app on an ephemeral port over a fresh database (one per test file: start it in
 * `beforeAll`). Rate limits are high unless a test asks otherwise.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { accounts, logger, webhooks, now, ...app } = options;
  const db = await createTestDatabase();
  const clock = new TestClock();
  const services = createServices({
    db,
    logger: logger ?? pino({ level: 'silent' }),
    now: now ?? clock.now,
    ...(accounts ? { accounts } : {}),
    ...(webhooks ? { webhooks } : {}),
    // Decide at once: tests wait for the decisions with whenIdle().
    decisions: { debounceMs: 0 },
  });
  const listener = await listen(createApp(services, appOptions(app)), services);
  const url = listener.url;
  const request = requestFor(url);

  return {
    url,
    db,
    services,
    clock,
    request,
    async createProject(name = 'Test project') {
      const { project, token, apiKey } = await services.projects.createProject(name);
      return { projectId: project.id, token: token.token, apiKey: apiKey.key };
    },
    async ingest(token, events) {
      const res = await request('POST', '/v1/events', {
        body: { events },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(res.body.rejected).toEqual([]);
      await services.decisions.whenIdle();
      return res.body;
    },
    async listenApp(options) {
      const other = await listen(createApp(services, appOptions(options)));
      return { url: other.url, request: requestFor(other.url), close: other.close };
    },
    async close() {
      await listener.close();
      await services.stop();
      await services.decisions.whenIdle();
      await db.close();
    },
  };
}
