/**
 * Notifications and webhooks: a decision reaching ready_to_ship is recorded once, listed and
 * marked read, pushed to the project's room, and delivered to a local receiver, signed with
 * HMAC-SHA256 and retried after a failure.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEvents } from '../src/domain-events.js';
import { WebhookService, webhookBody } from '../src/features/webhooks/webhook-service.js';
import { WebhookStore } from '../src/features/webhooks/webhook-store.js';
import { isPrivateAddress } from '../src/features/webhooks/webhook-target.js';
import { decisiveEvents } from './support/events.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A local HTTP receiver that answers the statuses it is given in turn (then 200). */
async function receiver(statuses: number[]): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let server: TestServer;
beforeAll(async () => {
  // The receivers listen on 127.0.0.1, which webhooks may reach only when allowed.
  server = await startTestServer({
    webhooks: { retryDelaysMs: [50, 50], pollIntervalMs: 20, allowPrivateTargets: true },
  });
});
afterAll(() => server?.close());

describe('notifications and webhooks', () => {
  it('records ready_to_ship once, pushes it, and delivers it signed, retrying a failure', async () => {
    const hook = await receiver([500]);
    try {
      const { projectId, token, apiKey } = await server.createProject('Hooked');
      const headers = { authorization: `Bearer ${apiKey}` };
      const base = `/api/projects/${projectId}`;
      const added = await server.request('POST', `${base}/webhooks`, {
        body: { url: hook.url },
        headers,
      });
      expect(added.status).toBe(201);
      const secret = added.body.secret as string;
      expect(secret).toMatch(/^whsec_/);

      const socket = connect(server.url, {
        transports: ['websocket'],
        reconnection: false,
        auth: { apiKey },
      });
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => resolve());
        socket.on('connect_error', reject);
      });
      await socket.emitWithAck('project:join', { projectId });
      const pushed = new Promise<{ kind: string }>((resolve) =>
        socket.once('notification:created', resolve),
      );

      await server.ingest(token, decisiveEvents('hero'));
      expect((await pushed).kind).toBe('ready_to_ship');
      socket.close();

      // Delivered on the second attempt, after a 500.
      await until(() => (hook.received.length >= 2 ? true : undefined));
      const [failed, delivered] = hook.received;
      expect(failed?.body).toBe(delivered?.body);
      const body = JSON.parse(delivered?.body ?? '{}');
      expect(body.text).toMatch(/^Vibariant: "hero" is ready to ship\./);
      expect(body.vibariant).toMatchObject({ kind: 'ready_to_ship', projectId });
      const expected = `sha256=${createHmac('sha256', secret)
        .update(delivered?.body ?? '')
        .digest('hex')}`;
      expect(delivered?.headers['x-vibariant-signature']).toBe(expected);
      expect(delivered?.headers['x-vibariant-event']).toBe('ready_to_ship');
      expect(delivered?.headers['x-vibariant-delivery']).toBe(
        failed?.headers['x-vibariant-delivery'],
      );

      const webhookId = added.body.webhook.id as string;
      const log = await until(async () => {
        const res = await server.request('GET', `${base}/webhooks/${webhookId}/deliveries`, {
          headers,
        });
        const d = res.body.deliveries[0];
        return d?.state === 'delivered' ? d : undefined;
      });
      expect(log).toMatchObject({ attempts: 2, lastStatus: 200, lastError: null });

      // More batches: still one notification, one delivery.
      server.clock.advance(1000);
      await server.ingest(token, decisiveEvents('hero').slice(0, 50));
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(hook.received).toHaveLength(2);
      const listed = await server.request('GET', `${base}/notifications`, { headers });
      expect(listed.body.notifications.map((n: { kind: string }) => n.kind)).toEqual([
        'ready_to_ship',
      ]);
      expect(listed.body.notifications[0].readAt).toBeNull();
      const read = await server.request('POST', `${base}/notifications/read`, {
        body: {},
        headers,
      });
      expect(read.body).toEqual({ marked: 1 });
      const unread = await server.request('GET', `${base}/notifications?unread=true`, { headers });
      expect(unread.body.notifications).toEqual([]);
      const bad = await server.request('GET', `${base}/notifications?limit=0`, { headers });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('limit');
    } finally {
      await hook.close();
    }
  });

  it('gives up after its retries, and sends a test message on request', async () => {
    const hook = await receiver([503, 503, 503, 503]);
    /** Attempts so far by how they ended, from the server's metrics. */
    const attempts = async () =>
      Object.fromEntries(
        (await server.services.metrics.webhookAttempts.get()).values.map((v) => [
          v.labels.state,
          v.value,
        ]),
      );
    const before = await attempts();
    try {
      const { projectId, apiKey } = await server.createProject('Down');
      const headers = { authorization: `Bearer ${apiKey}` };
      const base = `/api/projects/${projectId}`;
      const added = await server.request('POST', `${base}/webhooks`, {
        body: { url: hook.url },
        headers,
      });
      const webhookId = added.body.webhook.id as string;
      const test = await server.request('POST', `${base}/webhooks/${webhookId}/test`, { headers });
      expect(test.status).toBe(202);
      const failed = await until(async () => {
        const res = await server.request('GET', `${base}/webhooks/${webhookId}/deliveries`, {
          headers,
        });
        const d = res.body.deliveries[0];
        return d?.state === 'failed' ? d : undefined;
      });
      expect(failed).toMatchObject({ attempts: 3, lastStatus: 503, lastError: 'answered 503' });
      expect(hook.received).toHaveLength(3);
      const after = await attempts();
      expect((after.pending ?? 0) - (before.pending ?? 0)).toBe(2);
      expect((after.failed ?? 0) - (before.failed ?? 0)).toBe(1);
      expect(JSON.parse(hook.received[0]?.body ?? '{}').text).toBe(
        'Vibariant: this webhook works.',
      );

      for (const url of ['ftp://x.example/hook', 'not a url', '']) {
        const res = await server.request('POST', `${base}/webhooks`, { body: { url }, headers });
        expect(res.status).toBe(400);
        expect(res.body.error.details.field).toBe('url');
      }
      expect(
        (await server.request('DELETE', `${base}/webhooks/${webhookId}`, { headers })).status,
      ).toBe(204);
      expect(
        (await server.request('DELETE', `${base}/webhooks/${webhookId}`, { headers })).status,
      ).toBe(404);
    } finally {
      await hook.close();
    }
  });

  it('keeps webhooks out of private networks, escapes Slack text, and limits tests', async () => {
    const guarded = new WebhookService(
      new WebhookStore(server.db.knex),
      new DomainEvents(),
      pino({ level: 'silent' }),
    );
    const { projectId, apiKey } = await server.createProject('Guarded');
    for (const url of [
      'http://127.0.0.1:4000/api/projects',
      'http://[::1]/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://2130706433:4000/',
      'http://10.1.2.3/',
      'http://localhost:4000/',
      'http://[::ffff:192.168.1.1]/',
    ]) {
      await expect(guarded.add(projectId, { url }), url).rejects.toMatchObject({
        status: 400,
        details: { field: 'url' },
      });
    }
    await expect(
      guarded.add(projectId, { url: 'https://user:secret@hooks.example/x' }),
    ).rejects.toMatchObject({ status: 400 });
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2001:4860:4860::8888')).toBe(false);

    const body = webhookBody({
      id: 'n1',
      projectId,
      experimentId: null,
      kind: 'ready_to_ship',
      payload: { experimentName: '<!channel> Checkout & <https://evil.example|log in>' },
      createdAt: new Date(0),
      readAt: null,
    });
    expect(body.text).toBe(
      'Vibariant: "&lt;!channel&gt; Checkout &amp; &lt;https://evil.example|log in&gt;" is ready to ship.',
    );

    const headers = { authorization: `Bearer ${apiKey}` };
    const base = `/api/projects/${projectId}`;
    // A port nothing listens on: connections are refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const hook = await server.request('POST', `${base}/webhooks`, {
      body: { url: `http://127.0.0.1:${port}/never` },
      headers,
    });
    const id = hook.body.webhook.id as string;
    expect((await server.request('POST', `${base}/webhooks/${id}/test`, { headers })).status).toBe(
      202,
    );
    const again = await server.request('POST', `${base}/webhooks/${id}/test`, { headers });
    expect(again.status).toBe(429);
    expect(again.body.error.details.field).toBe('webhook');
    for (let i = 0; i < 4; i++) {
      await server.request('POST', `${base}/webhooks`, {
        body: { url: `http://127.0.0.1:${port}/${i}` },
        headers,
      });
    }
    const sixth = await server.request('POST', `${base}/webhooks`, {
      body: { url: `http://127.0.0.1:${port}/6` },
      headers,
    });
    expect(sixth.status).toBe(409);
    // A refused connection says why.
    const failed = await until(async () => {
      const res = await server.request('GET', `${base}/webhooks/${id}/deliveries`, { headers });
      const d = res.body.deliveries[0];
      return d?.attempts >= 1 ? d : undefined;
    });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
  });
});
