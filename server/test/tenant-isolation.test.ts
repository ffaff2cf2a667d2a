/**
 * Tenant isolation: every `/api` route under a project and every Socket.IO room join, tried
 * with each kind of credential that must not reach the project. Every cell is denied with the
 * right status and leaks nothing of the project; the table of results is printed.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, linkTokenFromMail, signedIn } from './support/browser.js';
import type { Mailbox } from './support/mailbox.js';
import { type ServerWithMail, startServerWithMail } from './support/server-with-mail.js';
import { BROWSER_USER_AGENT, type TestServer } from './support/test-server.js';

let server: TestServer;
let mailbox: Mailbox;

/** Text of the target project that no denied answer may contain. */
const SECRETS: string[] = [];
const PROJECT_NAME = 'Alpha secret launch';
const EXPERIMENT_NAME = 'Alpha pricing page';

/** How a credential is presented: headers for HTTP, handshake options for Socket.IO. */
interface Credential {
  readonly name: string;
  /** Status every route must answer. */
  readonly expected: 401 | 403;
  readonly headers: Record<string, string>;
  readonly socket: { auth?: Record<string, string>; extraHeaders?: Record<string, string> };
  /** Only routes that need the owner role are denied to it (a member). */
  readonly ownerRoutesOnly?: boolean;
  /**
   * Only a Socket.IO handshake is refused: over HTTP a cross-site page cannot send the CSRF
   * header (no CORS), which the CSRF rows cover.
   */
  readonly socketOnly?: boolean;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly owner: boolean;
  readonly body?: unknown;
}

let projectId: string;
let credentials: Credential[];
let routes: Route[];
/** Positive controls: an owner's session and the project's own API key. */
let ownerHeaders: Record<string, string>;
let apiKeyHeaders: Record<string, string>;

const sessionHeaders = (browser: Browser, withCsrf = true): Record<string, string> => ({
  cookie: browser.jar.header('/api'),
  ...(withCsrf ? { 'x-csrf-token': browser.jar.get('vv_csrf') as string } : {}),
});

let running: ServerWithMail | undefined;

beforeAll(async () => {
  running = await startServerWithMail({ publicUrl: 'http://dashboard.test' });
  ({ server, mailbox } = running);
  const signIn = (email: string) => signedIn(server.url, mailbox, email);

  const first = await signIn('owner@alpha.test');
  const created = await first.fetch('POST', '/api/projects', { json: { name: PROJECT_NAME } });
  expect(created.status).toBe(201);
  projectId = created.body.project.id;
  const p = `/api/projects/${projectId}`;
  SECRETS.push(PROJECT_NAME, EXPERIMENT_NAME, created.body.token.token, created.body.key);
  apiKeyHeaders = { authorization: `Bearer ${created.body.key}` };

  // A member whose session will have expired: refused for the expiry alone.
  await first.fetch('POST', `${p}/invitations`, { json: { email: 'expiring@alpha.test' } });
  const expiring = new Browser(server.url);
  const invitation = await linkTokenFromMail(mailbox, 'expiring@alpha.test');
  expect(
    (await expiring.fetch('POST', '/auth/magic-link/verify', { json: { token: invitation } }))
      .status,
  ).toBe(200);
  server.clock.advance(16 * 60_000);

  const ownerAgain = await signIn('owner@alpha.test');
  ownerHeaders = sessionHeaders(ownerAgain);

  const member = await signIn('member@alpha.test');
  await ownerAgain.fetch('POST', `${p}/invitations`, { json: { email: 'member@alpha.test' } });
  // An invitation left pending, which the matrix tries to cancel.
  await ownerAgain.fetch('POST', `${p}/invitations`, { json: { email: 'pending@alpha.test' } });
  const memberToken = await linkTokenFromMail(mailbox, 'member@alpha.test');
  expect(
    (await member.fetch('POST', '/auth/magic-link/verify', { json: { token: memberToken } }))
      .status,
  ).toBe(200);
  const memberId = (await member.fetch('GET', '/auth/me')).body.user.id as string;

  const experiment = await ownerAgain.fetch('POST', `${p}/experiments`, {
    json: {
      key: 'pricing',
      name: EXPERIMENT_NAME,
      variants: [{ key: 'control' }, { key: 'annual' }],
    },
  });
  expect(experiment.status).toBe(201);
  await server.ingest(created.body.token.token, [
    {
      type: 'goal_candidate',
      id: 'g1',
      visitorId: 'v1',
      goal: 'click:#buy',
      kind: 'click',
      label: 'Buy',
    },
  ]);
  const extraToken = await ownerAgain.fetch('POST', `${p}/tokens`, { json: { name: 'extra' } });
  const hook = await ownerAgain.fetch('POST', `${p}/webhooks`, {
    json: { url: 'https://hooks.example/alpha-secret-hook' },
  });
  expect(hook.status).toBe(201);
  SECRETS.push(hook.body.secret, 'alpha-secret-hook');
  const extraKey = await ownerAgain.fetch('POST', `${p}/api-keys`, { json: { name: 'extra' } });
  const revoked = await ownerAgain.fetch('POST', `${p}/api-keys`, { json: { name: 'revoked' } });
  expect((await ownerAgain.fetch('DELETE', `${p}/api-keys/${revoked.body.apiKey.id}`)).status).toBe(
    200,
  );
  SECRETS.push(extraToken.body.token.token, extraKey.body.key);

  const other = await signIn('owner@beta.test');
  const beta = await other.fetch('POST', '/api/projects', { json: { name: 'Beta' } });
  expect(beta.status).toBe(201);

  credentials = [
    { name: 'no credentials', expected: 401, headers: {}, socket: {} },
    {
      name: 'malformed token',
      expected: 401,
      headers: { authorization: 'Bearer not-a-key!' },
      socket: { auth: { apiKey: 'not-a-key!' } },
    },
    {
      name: 'expired session',
      expected: 401,
      headers: sessionHeaders(expiring),
      socket: { extraHeaders: { cookie: expiring.jar.header('/') } },
    },
    {
      name: 'revoked API key',
      expected: 401,
      headers: { authorization: `Bearer ${revoked.body.key}` },
      socket: { auth: { apiKey: revoked.body.key } },
    },
    {
      name: 'project token (public)',
      expected: 401,
      headers: { authorization: `Bearer ${created.body.token.token}` },
      socket: { auth: { apiKey: created.body.token.token } },
    },
    {
      name: "another project's key",
      expected: 403,
      headers: { authorization: `Bearer ${beta.body.key}` },
      socket: { auth: { apiKey: beta.body.key } },
    },
    {
      name: 'session cookie from another site',
      expected: 401,
      headers: { ...sessionHeaders(ownerAgain), origin: 'https://evil.example' },
      socket: {
        extraHeaders: { cookie: ownerAgain.jar.header('/'), origin: 'https://evil.example' },
      },
      socketOnly: true,
    },
    {
      name: "another project's session",
      expected: 403,
      headers: sessionHeaders(other),
      socket: { extraHeaders: { cookie: other.jar.header('/') } },
    },
    {
      name: 'member lacking the role',
      expected: 403,
      headers: sessionHeaders(member),
      socket: { extraHeaders: { cookie: member.jar.header('/') } },
      ownerRoutesOnly: true,
    },
  ];

  const e = `${p}/experiments/pricing`;
  routes = [
    { method: 'GET', path: p, owner: false },
    { method: 'PATCH', path: p, owner: true, body: { name: 'Renamed' } },
    { method: 'GET', path: `${p}/tokens`, owner: false },
    { method: 'POST', path: `${p}/tokens`, owner: true, body: { name: 'x' } },
    { method: 'DELETE', path: `${p}/tokens/${extraToken.body.token.id}`, owner: true },
    { method: 'GET', path: `${p}/api-keys`, owner: true },
    { method: 'POST', path: `${p}/api-keys`, owner: true, body: { name: 'x' } },
    { method: 'DELETE', path: `${p}/api-keys/${extraKey.body.apiKey.id}`, owner: true },
    { method: 'GET', path: `${p}/experiments`, owner: false },
    {
      method: 'POST',
      path: `${p}/experiments`,
      owner: false,
      body: { key: 'new', name: 'New', variants: [{ key: 'a' }, { key: 'b' }] },
    },
    { method: 'GET', path: e, owner: false },
    { method: 'PATCH', path: e, owner: false, body: { name: 'Renamed' } },
    ...['start', 'pause', 'stop', 'archive', 'unarchive'].map(
      (action) => ({ method: 'POST', path: `${e}/${action}`, owner: false }) as const,
    ),
    { method: 'POST', path: `${e}/variants`, owner: false, body: { key: 'monthly' } },
    { method: 'PUT', path: `${e}/allocation`, owner: false, body: { weights: [0.5, 0.5] } },
    { method: 'GET', path: `${e}/results`, owner: false },
    { method: 'GET', path: `${e}/decisions`, owner: false },
    { method: 'GET', path: `${e}/allocations`, owner: false },
    { method: 'GET', path: `${e}/notes`, owner: false },
    { method: 'POST', path: `${e}/notes`, owner: false, body: { body: 'A note' } },
    { method: 'GET', path: `${p}/notifications`, owner: false },
    { method: 'POST', path: `${p}/notifications/read`, owner: false, body: {} },
    { method: 'GET', path: `${p}/webhooks`, owner: true },
    {
      method: 'POST',
      path: `${p}/webhooks`,
      owner: true,
      body: { url: 'https://hooks.example/x' },
    },
    { method: 'DELETE', path: `${p}/webhooks/${hook.body.webhook.id}`, owner: true },
    { method: 'POST', path: `${p}/webhooks/${hook.body.webhook.id}/test`, owner: true },
    { method: 'GET', path: `${p}/webhooks/${hook.body.webhook.id}/deliveries`, owner: true },
    { method: 'GET', path: `${p}/goals`, owner: false },
    { method: 'GET', path: `${p}/goals/click:%23buy`, owner: false },
    { method: 'POST', path: `${p}/goals/click:%23buy/confirm`, owner: false },
    { method: 'POST', path: `${p}/goals/click:%23buy/reject`, owner: false },
    { method: 'GET', path: `${p}/members`, owner: false },
    { method: 'POST', path: `${p}/invitations`, owner: true, body: { email: 'x@alpha.test' } },
    { method: 'DELETE', path: `${p}/invitations/pending@alpha.test`, owner: true },
    { method: 'PATCH', path: `${p}/members/${memberId}`, owner: true, body: { role: 'owner' } },
    {
      method: 'DELETE',
      path: `${p}/members/${(await ownerAgain.fetch('GET', '/auth/me')).body.user.id}`,
      owner: true,
    },
  ];
});

afterAll(() => running?.close());

async function call(route: Route, headers: Record<string, string>) {
  const response = await fetch(server.url + route.path, {
    method: route.method,
    headers: {
      'user-agent': BROWSER_USER_AGENT,
      'content-type': 'application/json',
      ...headers,
    },
    body: route.body === undefined ? null : JSON.stringify(route.body),
  });
  return { status: response.status, text: await response.text() };
}

describe('tenant isolation', () => {
  it('answers every /api route the project-scoped controls reach', async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      expect([route.path, (await call(route, ownerHeaders)).status]).toEqual([route.path, 200]);
      expect([route.path, (await call(route, apiKeyHeaders)).status]).toEqual([route.path, 200]);
    }
  });

  it('denies every /api route to every credential that must not reach the project', async () => {
    const table: Record<string, Record<string, string>> = {};
    const failures: string[] = [];
    for (const route of routes) {
      const row: Record<string, string> = {};
      for (const credential of credentials.filter((c) => !c.socketOnly)) {
        if (credential.ownerRoutesOnly && !route.owner) {
          row[credential.name] = 'allowed';
          continue;
        }
        const { status, text } = await call(route, credential.headers);
        const leaked = SECRETS.filter((secret) => text.includes(secret));
        const json = (() => {
          try {
            return JSON.parse(text) as { error?: { code?: string } };
          } catch {
            return undefined;
          }
        })();
        const ok =
          status === credential.expected && leaked.length === 0 && json?.error?.code !== undefined;
        row[credential.name] = ok ? String(status) : `${status} (expected ${credential.expected})`;
        if (!ok)
          failures.push(
            `${route.method} ${route.path} with ${credential.name}: ${status} ${text.slice(0, 200)}`,
          );
      }
      const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
      table[`${route.method} ${route.path.replace(projectId, ':project').replace(uuid, ':id')}`] =
        row;
    }
    console.table(table);
    expect(failures).toEqual([]);
  });

  it('lists only its own projects to other tenants', async () => {
    for (const credential of credentials.filter(
      (c) => c.expected === 403 && !c.ownerRoutesOnly && !c.socketOnly,
    )) {
      const { status, text } = await call(
        { method: 'GET', path: '/api/projects', owner: false },
        credential.headers,
      );
      expect(status).toBe(200);
      expect(SECRETS.filter((s) => text.includes(s))).toEqual([]);
      expect(text).not.toContain(projectId);
    }
  });

  it('refuses Socket.IO handshakes and room joins the credential does not reach', async () => {
    const table: Record<string, Record<string, string>> = {};
    const open: Socket[] = [];
    try {
      const controls = [
        {
          name: 'owner (control)',
          socket: { extraHeaders: { cookie: ownerHeaders.cookie ?? '' } },
        },
        {
          name: 'API key (control)',
          socket: { auth: { apiKey: (apiKeyHeaders.authorization ?? '').slice('Bearer '.length) } },
        },
      ].map((c) => ({ ...c, expected: 200, headers: {}, ownerRoutesOnly: false }));
      for (const credential of [...credentials, ...controls]) {
        const socket = connect(server.url, {
          transports: ['websocket'],
          reconnection: false,
          ...credential.socket,
        });
        open.push(socket);
        const connected = await new Promise<string>((resolve) => {
          socket.on('connect', () => resolve('connected'));
          socket.on('connect_error', (error) => resolve(`connect_error: ${error.message}`));
        });
        const row: Record<string, string> = { handshake: connected };
        if (connected === 'connected') {
          const project = await socket.emitWithAck('project:join', { projectId });
          const stream = await socket.emitWithAck('live:subscribe', { projectId });
          row['live:subscribe'] = stream.ok ? 'joined' : stream.error.code;
          const experiment = await socket.emitWithAck('experiment:join', {
            projectId,
            experimentKey: 'pricing',
          });
          row['project:join'] = project.ok ? 'joined' : project.error.code;
          row['experiment:join'] = experiment.ok ? 'joined' : experiment.error.code;
        }
        table[credential.name] = row;
        const allowed = credential.expected === 200 || credential.ownerRoutesOnly === true;
        if (credential.expected === 401) {
          expect([credential.name, connected]).toEqual([
            credential.name,
            'connect_error: unauthorized',
          ]);
        } else if (allowed) {
          expect([
            credential.name,
            row['project:join'],
            row['experiment:join'],
            row['live:subscribe'],
          ]).toEqual([credential.name, 'joined', 'joined', 'joined']);
        } else {
          expect([
            credential.name,
            connected,
            row['project:join'],
            row['experiment:join'],
            row['live:subscribe'],
          ]).toEqual([credential.name, 'connected', 'forbidden', 'forbidden', 'forbidden']);
        }
      }
      console.table(table);
    } finally {
      for (const socket of open) socket.close();
    }
  });

  it('ends a connection with its session, and refuses a reconnection with it', async () => {
    const browser = await signedIn(server.url, mailbox, 'leaving@alpha.test');
    const created = await browser.fetch('POST', '/api/projects', { json: { name: 'Leaving' } });
    const cookie = browser.jar.header('/');
    const socket = connect(server.url, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { cookie },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => resolve());
        socket.on('connect_error', reject);
      });
      expect(
        (await socket.emitWithAck('project:join', { projectId: created.body.project.id })).ok,
      ).toBe(true);
      const ended = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect((await browser.fetch('POST', '/auth/logout')).status).toBe(204);
      expect(await ended).toBe('io server disconnect');
    } finally {
      socket.close();
    }
    const again = connect(server.url, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { cookie },
    });
    try {
      const result = await new Promise<string>((resolve) => {
        again.on('connect', () => resolve('connected'));
        again.on('connect_error', (error) => resolve(error.message));
      });
      expect(result).toBe('unauthorized');
    } finally {
      again.close();
    }
  });

  it('keeps a signed-in socket working past its access token while the session lives', async () => {
    const browser = await signedIn(server.url, mailbox, 'long-watch@alpha.test');
    const created = await browser.fetch('POST', '/api/projects', { json: { name: 'Long' } });
    const socket = connect(server.url, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { cookie: browser.jar.header('/') },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => resolve());
        socket.on('connect_error', reject);
      });
      server.clock.advance(16 * 60_000); // the access token of the handshake has expired
      const projectId = created.body.project.id as string;
      expect(await socket.emitWithAck('project:join', { projectId })).toMatchObject({ ok: true });
      for (const payload of [
        { projectId: 'a\u0000b' },
        { projectId: 42 },
        { projectId: 'x'.repeat(201) },
        {},
      ]) {
        const reply = await socket.emitWithAck('project:join', payload as { projectId: string });
        // Refused before any lookup (a NUL would make the database fail).
        expect(reply).toEqual({
          ok: false,
          error: { code: 'invalid', message: 'projectId: must be a project ID' },
        });
      }
      const badKey = await socket.emitWithAck('experiment:join', {
        projectId,
        experimentKey: 'hero\u0000',
      });
      expect(badKey).toEqual({
        ok: false,
        error: { code: 'invalid', message: 'experimentKey: must be an experiment key' },
      });
    } finally {
      socket.close();
    }
  });
});
