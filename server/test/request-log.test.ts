import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLog } from '../src/http/request-log.js';

/** The log lines written so far, parsed. */
const lines: { level: number; req?: { path: string }; res?: { statusCode: number } }[] = [];
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = express();
  app.use(requestLog(pino({ level: 'debug' }, sink)));
  // Mounted as the SDK's routes are: inside the router, req.url lacks the /v1 prefix.
  const v1 = express.Router();
  v1.post('/events', (_req, res) => {
    res.json({ accepted: 1 });
  });
  v1.get('/config', (_req, res) => {
    res.status(401).json({ error: { code: 'unauthorized' } });
  });
  app.use('/v1', v1);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/projects', (_req, res) => {
    res.json({ projects: [] });
  });
  const http = createServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => http.close(() => resolve()));
});
afterAll(() => close());

describe('the request log', () => {
  it('logs successful SDK requests and probes at debug, refused ones and the rest at info', async () => {
    await fetch(`${url}/v1/events?token=secret`, { method: 'POST' });
    await fetch(`${url}/v1/config`);
    await fetch(`${url}/healthz`);
    await fetch(`${url}/api/projects`);
    const levels = Object.fromEntries(
      lines.map((l) => [`${l.req?.path} ${l.res?.statusCode}`, l.level]),
    );
    expect(levels).toEqual({
      '/v1/events 200': 20,
      '/v1/config 401': 30,
      '/healthz 200': 20,
      '/api/projects 200': 30,
    });
    expect(JSON.stringify(lines)).not.toContain('secret');
  });
});
