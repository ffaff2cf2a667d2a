/**
 * Two server processes on different ports against one PostgreSQL: events posted to one reach a
 * client of the other, and a ready_to_ship transition yields one notification and one webhook
 * delivery, not two.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/composition-root.js';
import type { Database } from '../src/db/database.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../src/realtime/contracts.js';
import { freePort, startServerProcess, stopServerProcess } from './support/child-server.js';
import { armEvents, decisiveEvents } from './support/events.js';
import { createTestDatabase, TEST_DRIVER } from './support/test-database.js';
import { BROWSER_USER_AGENT } from './support/test-server.js';

const children: ChildProcess[] = [];
let db: Database | undefined;
let receiver: Server | undefined;
let socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;

/** Stops what a case started (also after a failure). */
async function cleanUp(): Promise<void> {
  socket?.close();
  await Promise.all(children.splice(0).map((child) => stopServerProcess(child)));
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  await db?.close();
  socket = undefined;
  receiver = undefined;
  db = undefined;
}

afterAll(cleanUp);

/** The adapters to try: PostgreSQL's always, Redis's when a test Redis is named. */
const ADAPTERS: [string, Record<string, string>][] = [
  ['PostgreSQL', {}],
  ...(process.env.TEST_REDIS_URL
    ? ([['Redis', { REDIS_URL: process.env.TEST_REDIS_URL }]] as [string, Record<string, string>][])
    : []),
];

describe.runIf(TEST_DRIVER === 'pg')('several servers on one PostgreSQL', () => {
  it.each(ADAPTERS)(
    'share live decisions, and notify and deliver a webhook once (Socket.IO over %s)',
    async (_name, adapterEnv) => {
      db = await createTestDatabase();
      const url = db.url as string;
      const services = createServices({ db, logger: pino({ level: 'silent' }) });
      const { project, token, apiKey } = await services.projects.createProject('Two nodes');
      await services.stop();

      const deliveries: string[] = [];
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          deliveries.push(body);
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

      const [portA, portB] = [await freePort(), await freePort()];
      // The webhook receiver listens on 127.0.0.1, which webhooks may reach only when allowed.
      const env = { DATABASE_URL: url, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', ...adapterEnv };
      children.push(await startServerProcess(portA, env));
      children.push(await startServerProcess(portB, env));
      const a = `http://127.0.0.1:${portA}`;
      const b = `http://127.0.0.1:${portB}`;
      const post = (events: unknown[]) =>
        fetch(`${a}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token.token}`,
            'user-agent': BROWSER_USER_AGENT,
          },
          body: JSON.stringify({ events }),
        });
      const hook = await fetch(`${b}/api/projects/${project.id}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` },
        body: JSON.stringify({ url: hookUrl }),
      });
      expect(hook.status).toBe(201);

      expect(
        (
          await post(
            armEvents('hero', [
              ['control', 1, 0],
              ['b', 1, 0],
            ]),
          )
        ).status,
      ).toBe(200);

      // A dashboard client of node B, watching the experiment and the project.
      socket = connect(b, {
        transports: ['websocket'],
        reconnection: false,
        auth: { apiKey: apiKey.key },
      });
      await new Promise<void>((resolve, reject) => {
        socket?.on('connect', () => resolve());
        socket?.on('connect_error', reject);
      });
      const joined = await socket.emitWithAck('experiment:join', {
        projectId: project.id,
        experimentKey: 'hero',
      });
      expect(joined.ok).toBe(true);
      await socket.emitWithAck('project:join', { projectId: project.id });
      const notified: string[] = [];
      socket.on('notification:created', (n) => notified.push(n.kind));
      const ready = new Promise<number>((resolve) => {
        socket?.on('decision:updated', (u) => {
          if (u.decision.status === 'ready_to_ship') {
            resolve(u.decision.variants.reduce((n, v) => n + v.visitors, 0));
          }
        });
      });

      expect((await post(decisiveEvents('hero'))).status).toBe(200);
      expect(await ready).toBe(302);
      // Time for a second notification or delivery, were there to be one.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(notified).toEqual(['ready_to_ship']);
      expect(deliveries).toHaveLength(1);
      expect(JSON.parse(deliveries[0] ?? '{}').vibariant.kind).toBe('ready_to_ship');
      const rows = await db.knex('notifications').where({ project_id: project.id });
      expect(rows.map((r) => r.kind)).toEqual(['ready_to_ship']);
      await cleanUp();
    },
    60_000,
  );
});
