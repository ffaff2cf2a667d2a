/**
 * The API reference: `/api/openapi.json` is valid OpenAPI 3.1, lists exactly the routes the app
 * registers, and says what the routes do: what its schemas reject, the routes answer 400 for,
 * naming the field, and every answer has the shape documented for its status. `/api/docs`
 * serves its page and assets from this server.
 */
import { validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { type Browser, signedIn } from './support/browser.js';
import { type ServerWithMail, startServerWithMail } from './support/server-with-mail.js';
import type { TestServer } from './support/test-server.js';

type JsonSchema = Record<string, unknown>;
interface Operation {
  readonly security?: Record<string, unknown>[];
  readonly parameters?: { name: string; in: string; schema: JsonSchema }[];
  readonly requestBody?: { content: Record<string, { schema: JsonSchema }> };
  readonly responses: Record<
    string,
    { $ref?: string; content?: Record<string, { schema: JsonSchema }> }
  >;
}
interface Document {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { responses: Record<string, Operation['responses'][string]> } & JsonSchema;
}

/** Routes that are not part of the API: the dashboard's pages. */
const NOT_API = new Set(['GET /{*path}']);
/** A sign-in link is checked by hand: any invalid one is a 401, whatever the body's shape. */
const CHECKED_BY_HAND = new Set(['POST /auth/magic-link/verify']);
/** Values tried, in order, as one that a property's (or a query parameter's) schema rejects. */
const WRONG_VALUES: unknown[] = [12345, 'not-valid', true, ['x'], { x: 1 }];
const WRONG_QUERY_VALUES = ['not-valid', '0', '100000'];

let running: ServerWithMail;
let server: TestServer;
let owner: Browser;
let doc: Document;
let projectId: string;
let projectToken: string;

const ajv = new Ajv2020({ strict: false, validateFormats: false });
/** Whether `value` matches `schema`, whose `$ref`s point into the document's components. */
const matches = (schema: JsonSchema, value: unknown): boolean =>
  ajv.validate({ ...schema, components: doc.components }, value);

/** Every operation of the document, as `METHOD /path`. */
const operations = (): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, string, Operation] => [
      method.toUpperCase(),
      path,
      op,
    ]),
  );

/** A concrete path: the test's project, experiment and goal, and made-up IDs elsewhere. */
const PATH_VALUES: Record<string, string> = {
  key: 'hero',
  goalKey: 'signup',
  email: 'nobody@example.com',
};
const fill = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent((name === 'projectId' ? projectId : PATH_VALUES[name]) ?? 'unknown-id'),
  );

/** Sends a request with the credential the operation asks for (the owner's session, if any). */
async function send(method: string, path: string, op: Operation, body?: unknown) {
  const schemes = (op.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.includes('projectToken')) {
    return server.request(method, path, {
      ...(body === undefined ? {} : { body }),
      headers: { authorization: `Bearer ${projectToken}` },
    });
  }
  if (schemes.some((scheme) => scheme === 'session' || scheme === 'refreshSession')) {
    return owner.fetch(method, path, body === undefined ? {} : { json: body });
  }
  return server.request(method, path, body === undefined ? {} : { body });
}

/** The documented JSON schema of a response, following a `$ref` to the shared ones. */
function responseSchema(op: Operation, status: number): JsonSchema | undefined {
  let response = op.responses[status];
  if (response?.$ref) response = doc.components.responses[response.$ref.split('/').pop() ?? ''];
  return response?.content?.['application/json']?.schema;
}

const fieldsOf = (body: {
  error: { details: { issues?: { field: string; message: string }[] } };
}) => body.error.details.issues ?? [];

beforeAll(async () => {
  running = await startServerWithMail({ publicUrl: 'http://dashboard.test' });
  server = running.server;
  owner = await signedIn(server.url, running.mailbox, 'owner@example.com');
  const created = await owner.fetch('POST', '/api/projects', { json: { name: 'Docs' } });
  expect(created.status).toBe(201);
  projectId = created.body.project.id;
  projectToken = created.body.token.token;
  const experiment = await owner.fetch('POST', `/api/projects/${projectId}/experiments`, {
    json: { key: 'hero', name: 'Hero', variants: [{ key: 'a' }, { key: 'b' }], start: true },
  });
  expect(experiment.status).toBe(201);
  await server.ingest(projectToken, [
    { type: 'exposure', id: 'e1', visitorId: 'v1', experiment: 'hero', variant: 'a' },
    { type: 'exposure', id: 'e2', visitorId: 'v2', experiment: 'hero', variant: 'b' },
    { type: 'conversion', id: 'c1', visitorId: 'v2', goal: 'signup' },
  ]);
  await owner.fetch('POST', `/api/projects/${projectId}/experiments/hero/notes`, {
    json: { body: 'Started' },
  });
  doc = (await server.request('GET', '/api/openapi.json')).body;
});
afterAll(() => running.close());

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1, served without credentials', async () => {
    const served = await server.request('GET', '/api/openapi.json');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    // The validator does find faults: a path parameter is always required.
    const broken = structuredClone(doc);
    const parameter = broken.paths['/api/projects/{projectId}']?.get?.parameters?.[0];
    expect(parameter).toMatchObject({ name: 'projectId', in: 'path', required: true });
    Object.assign(parameter ?? {}, { required: false });
    expect((await validate(broken as never)).valid).toBe(false);
  });

  it('lists every route the app registers, and no other', () => {
    interface Layer {
      route?: { path: string; methods: Record<string, boolean> };
      handle: { stack?: Layer[] };
      rawPath?: string;
      slash?: boolean;
    }
    const registered = new Set<string>();
    const walk = (stack: Layer[], prefix: string) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const method of Object.keys(layer.route.methods)) {
            const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
            registered.add(`${method.toUpperCase()} ${path}`);
          }
        } else if (layer.handle.stack) {
          walk(layer.handle.stack, layer.slash ? prefix : `${prefix}${layer.rawPath ?? ''}`);
        }
      }
    };
    const app = createApp(server.services, {
      rateLimitPerIp: 1,
      rateLimitPerToken: 1,
      trustProxy: 0,
      signInLinksPerIp: 1,
      signInLinksPerAddress: 1,
    });
    walk((app.router as unknown as { stack: Layer[] }).stack, '');
    const inApp = [...registered].filter((route) => !NOT_API.has(route)).sort();
    const inDoc = operations()
      .map(([method, path]) => `${method} ${path}`)
      .sort();
    expect(inApp.length).toBeGreaterThan(50);
    expect(inDoc).toEqual(inApp);
  });

  it('asks for the credentials it documents, and only those', async () => {
    for (const [method, path, op] of operations()) {
      const security = op.security ?? [];
      const required = security.length > 0 && security.every((r) => Object.keys(r).length > 0);
      if (!required && method !== 'GET') continue;
      const res = await server.request(method, fill(path));
      if (required) expect(res.status, `${method} ${path}`).toBe(401);
      else expect(res.status, `${method} ${path}`).not.toBe(401);
    }
  });

  it('rejects with 400, naming the field, the bodies its schemas reject', async () => {
    let checked = 0;
    for (const [method, path, op] of operations()) {
      const schema = op.requestBody?.content['application/json']?.schema as
        | {
            properties?: Record<string, JsonSchema>;
            required?: string[];
            additionalProperties?: unknown;
          }
        | undefined;
      if (!schema || !op.responses[400] || CHECKED_BY_HAND.has(`${method} ${path}`)) continue;
      const url = fill(path);
      const refused = async (body: Record<string, unknown>) => {
        expect(matches(schema, body), `${method} ${path} ${JSON.stringify(body)}`).toBe(false);
        const res = await send(method, url, op, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
        checked++;
        return fieldsOf(res.body);
      };
      if (!matches(schema, {})) {
        const issues = (await refused({})).map((issue) => issue.field);
        expect(issues, `${method} ${path}`).toEqual(expect.arrayContaining(schema.required ?? []));
      }
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const wrong = WRONG_VALUES.find((value) => !matches(property, value));
        if (wrong === undefined) continue;
        const issues = (await refused({ [name]: wrong })).map((issue) => issue.field);
        expect(issues, `${method} ${path} ${name}`).toContain(name);
      }
      if (schema.additionalProperties === false) {
        const issues = await refused({ unexpectedField: 1 });
        expect(issues.some((issue) => issue.message.includes('unexpectedField'))).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('rejects with 400, naming the parameter, the query values its schemas reject', async () => {
    let checked = 0;
    for (const [method, path, op] of operations()) {
      for (const parameter of op.parameters ?? []) {
        if (parameter.in !== 'query') continue;
        const schema = { type: 'object', properties: { [parameter.name]: parameter.schema } };
        const coerce = new Ajv2020({ strict: false, coerceTypes: true });
        const wrong = WRONG_QUERY_VALUES.find(
          (value) => !coerce.validate(schema, { [parameter.name]: value }),
        );
        if (wrong === undefined) continue;
        const res = await send(method, `${fill(path)}?${parameter.name}=${wrong}`, op);
        expect(res.status, `${method} ${path}?${parameter.name}=${wrong}`).toBe(400);
        expect(res.body.error.details.field).toBe(parameter.name);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4);
  });

  it('describes what every GET route answers', async () => {
    for (const [method, path, op] of operations()) {
      if (method !== 'GET') continue;
      const res = await send(method, fill(path), op);
      const label = `${method} ${path} -> ${res.status}`;
      expect(Object.keys(op.responses), label).toContain(String(res.status));
      const schema = responseSchema(op, res.status);
      if (!schema) continue;
      expect(res.headers.get('content-type'), label).toMatch(/^application\/json/);
      expect(matches(schema, res.body), `${label}: ${JSON.stringify(ajv.errors)}`).toBe(true);
    }
  });
  it('describes what changes answer', async () => {
    const changes: [string, string, unknown?][] = [
      ['PATCH', '/api/projects/{projectId}', { name: 'Docs, renamed' }],
      ['POST', '/api/projects/{projectId}/tokens', {}],
      ['POST', '/api/projects/{projectId}/api-keys', { name: 'ci' }],
      ['POST', '/api/projects/{projectId}/goals/{goalKey}/confirm', {}],
      ['POST', '/api/projects/{projectId}/notifications/read', {}],
      ['PUT', '/api/projects/{projectId}/members/me/notifications', { email: false }],
      ['POST', '/api/projects/{projectId}/invitations', { email: 'nobody@example.com' }],
      ['DELETE', '/api/projects/{projectId}/invitations/{email}'],
      ['PATCH', '/api/projects/{projectId}/experiments/{key}', { hypothesis: 'B wins' }],
      ['POST', '/api/projects/{projectId}/experiments/{key}/pause', {}],
      ['POST', '/api/projects/{projectId}/experiments/{key}/variants', { key: 'c' }],
      ['POST', '/v1/assign', { visitorId: 'v3', experiments: ['hero'] }],
      ['POST', '/v1/events', { events: [{ type: 'page_view', id: 'p1', visitorId: 'v3' }] }],
      ['POST', '/auth/refresh'],
    ];
    for (const [method, path, body] of changes) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      if (!op) throw new Error(`${method} ${path} is not in the document`);
      const res = await send(method, fill(path), op, body);
      const label = `${method} ${path} -> ${res.status}`;
      expect(res.status, `${label} ${JSON.stringify(res.body)}`).toBeLessThan(300);
      expect(Object.keys(op.responses), label).toContain(String(res.status));
      const schema = responseSchema(op, res.status);
      if (schema)
        expect(matches(schema, res.body), `${label}: ${JSON.stringify(ajv.errors)}`).toBe(true);
    }
  });
});

describe('the interactive reference', () => {
  it('is a page of this server whose scripts and styles load from it, without credentials', async () => {
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    // No inline script: the Content-Security-Policy allows this origin's scripts only.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets).toEqual(
      expect.arrayContaining([
        '/api/docs/swagger-ui.css',
        '/api/docs/swagger-ui-bundle.js',
        '/api/docs/init.js',
      ]),
    );
    const types: Record<string, RegExp> = {
      css: /^text\/css/,
      js: /^(text|application)\/javascript/,
      png: /^image\/png/,
    };
    for (const asset of assets) {
      const res = await fetch(`${server.url}${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(
        types[asset?.split('.').pop() ?? ''] ?? /^$/,
      );
      const text = await res.text();
      if (asset === '/api/docs/init.js') expect(text).toContain("url: '/api/openapi.json'");
    }
    expect((await fetch(`${server.url}/api/docs/index.html`)).status).toBe(404);
  });
});
