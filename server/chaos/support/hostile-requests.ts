/**
 * Generated hostile HTTP requests (fast-check): every public route with random methods, paths
 * in odd encodings, content types, bodies that are bad, huge, deep or not UTF-8, wrong types in
 * every field, huge headers, bad credentials, cookies and CSRF headers, mixed with real
 * credentials so that the handlers behind the guards are reached too.
 */
import fc from 'fast-check';

/** Real credentials of the server under test, mixed into the requests. */
export interface Credentials {
  readonly projectId: string;
  readonly projectToken: string;
  readonly apiKey: string;
  /** `vv_access=…; vv_refresh=…; vv_csrf=…` of a signed-in owner of the project. */
  readonly sessionCookie: string;
  readonly csrfToken: string;
}

/** One generated request, written out by {@link requestBytes}. */
export interface HostileRequest {
  readonly method: string;
  /** The request target exactly as sent (not re-encoded). */
  readonly target: string;
  readonly headers: readonly (readonly [string, string | Buffer])[];
  readonly body: Body;
  /** Whether the body goes chunked (`Transfer-Encoding`) instead of with a Content-Length. */
  readonly chunked: boolean;
}

/** A body, or the size of a huge one (built when sent, not kept in memory). */
export type Body = Buffer | { readonly hugeBytes: number };

/** Route templates: `{p}` project, `{k}` experiment, `{g}` goal, `{id}` an ID, `{e}` email. */
const ROUTES = [
  '/v1/events',
  '/v1/config',
  '/v1/assign',
  '/v1/',
  '/v1/{id}',
  '/auth/magic-link',
  '/auth/magic-link/verify',
  '/auth/providers',
  '/auth/github',
  '/auth/github/callback',
  '/auth/refresh',
  '/auth/logout',
  '/auth/me',
  '/api/projects',
  '/api/projects/{p}',
  '/api/projects/{p}/tokens',
  '/api/projects/{p}/tokens/{id}',
  '/api/projects/{p}/api-keys',
  '/api/projects/{p}/api-keys/{id}',
  '/api/projects/{p}/experiments',
  '/api/projects/{p}/experiments/{k}',
  '/api/projects/{p}/experiments/{k}/start',
  '/api/projects/{p}/experiments/{k}/pause',
  '/api/projects/{p}/experiments/{k}/stop',
  '/api/projects/{p}/experiments/{k}/archive',
  '/api/projects/{p}/experiments/{k}/unarchive',
  '/api/projects/{p}/experiments/{k}/variants',
  '/api/projects/{p}/experiments/{k}/allocation',
  '/api/projects/{p}/experiments/{k}/results',
  '/api/projects/{p}/experiments/{k}/decisions',
  '/api/projects/{p}/experiments/{k}/allocations',
  '/api/projects/{p}/experiments/{k}/notes',
  '/api/projects/{p}/goals',
  '/api/projects/{p}/goals/{g}',
  '/api/projects/{p}/goals/{g}/confirm',
  '/api/projects/{p}/goals/{g}/reject',
  '/api/projects/{p}/members',
  '/api/projects/{p}/members/{id}',
  '/api/projects/{p}/members/me/notifications',
  '/api/projects/{p}/invitations',
  '/api/projects/{p}/invitations/{e}',
  '/api/projects/{p}/notifications',
  '/api/projects/{p}/notifications/read',
  '/api/projects/{p}/webhooks',
  '/api/projects/{p}/webhooks/{id}',
  '/api/projects/{p}/webhooks/{id}/test',
  '/api/projects/{p}/webhooks/{id}/deliveries',
  '/api/{id}',
  '/healthz',
  '/readyz',
  '/metrics',
  '/',
  '/index.html',
  '/projects/{p}',
  '/assets/{id}.js',
  '/vibariant.global.js',
  '/favicon.ico',
  '/socket.io/?EIO=4&transport=polling',
];

/** Path segments and text that have broken servers before. */
const ODD_TEXT = [
  '',
  '%',
  '%%',
  '%0',
  '%00',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%E2%80%AE',
  '%2e%2e',
  '..',
  '..%2f..%2fetc%2fpasswd',
  '%2F',
  '.',
  '~',
  'é',
  '日本',
  '\u202e',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e999',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '$where',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, sent as text
  '${jndi:x}',
  'a'.repeat(300),
  'b'.repeat(5_000),
];

const segment = (credentials: Credentials): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(credentials.projectId) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 4, arbitrary: fc.constantFrom(...ODD_TEXT) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 2, arbitrary: fc.constantFrom('hero', 'signup', 'control', 'b', 'x.y-z_1') },
  );

const QUERIES = [
  '',
  '?token=',
  '?token=vv_proj_',
  '?token[]=a&token[]=b',
  '?token[x]=y',
  '?a[b][c][d][e][f][g]=1',
  '?__proto__[polluted]=1',
  '?constructor[prototype][x]=1',
  '?a=1&a=2&a=3',
  '?%00=%00',
  '?q=%',
  '?experiments=hero&experiments=%00',
  '?limit=-1&before=x&cursor=%ff',
  '?limit=99999999999999999999',
  '?token=x'.repeat(400),
  '?EIO=3&transport=websocket',
];

const target = (credentials: Credentials): fc.Arbitrary<string> =>
  fc
    .record({
      route: fc.constantFrom(...ROUTES),
      p: segment(credentials),
      k: segment(credentials),
      g: segment(credentials),
      id: segment(credentials),
      e: fc.oneof(fc.emailAddress(), segment(credentials)),
      query: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...QUERIES) },
        { weight: 1, arbitrary: fc.constant(`?token=${credentials.projectToken}`) },
        {
          weight: 1,
          arbitrary: fc
            .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 30 }), { maxKeys: 4 })
            .map((d) => `?${new URLSearchParams(d)}`),
        },
      ),
      mangle: fc.constantFrom(
        'none',
        'none',
        'none',
        'double-slash',
        'dot-dot',
        'trailing',
        'case',
      ),
    })
    .map(({ route, p, k, g, id, e, query, mangle }) => {
      let path = route
        .replace('{p}', p)
        .replace('{k}', k)
        .replace('{g}', g)
        .replace('{id}', id)
        .replace('{e}', e);
      if (mangle === 'double-slash') path = path.replace('/', '//');
      if (mangle === 'dot-dot') path = `${path}/../../${route.split('/')[1] ?? ''}`;
      if (mangle === 'trailing') path = `${path}/`;
      if (mangle === 'case') path = path.toUpperCase();
      return path.includes('?') ? path + query.replace('?', '&') : path + query;
    });

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'text/xml',
  'application/octet-stream',
  'application/json, text/plain',
  '*/*',
  'json',
  '',
  ';;;',
  'application/json; charset="utf-8"; x=',
];

const authorization = (credentials: Credentials): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constant(`Bearer ${credentials.projectToken}`) },
    { weight: 3, arbitrary: fc.constant(`Bearer ${credentials.apiKey}`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'Bearer vv_proj_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer vv_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer vv_proj_',
        'Bearer vv_sk_',
        `Bearer ${credentials.apiKey}x`,
        `Bearer ${credentials.projectToken.slice(0, -1)}`,
        `bearer  ${credentials.apiKey}`,
        'Bearer',
        'Bearer ',
        'Basic dXNlcjpwYXNz',
        `Bearer vv_sk_${'A'.repeat(5_000)}`,
        'Bearer vv_proj_%00',
        'Bearer vv_sk_é',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );

const cookie = (credentials: Credentials): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constant(credentials.sessionCookie) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'vv_access=garbage',
        'vv_access=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'vv_access=%',
        'vv_access=%E0%A4%A',
        'vv_access=; vv_refresh=; vv_csrf=',
        'vv_refresh=abc.def',
        `vv_access=${'x'.repeat(4_000)}`,
        'vv_access="unterminated',
        '=;=;=',
        'j:{"__proto__":{"x":1}}',
        'vv_access=j:{"a":1}',
        `${credentials.sessionCookie.split(';')[0]}x`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );

const csrf = (credentials: Credentials): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(credentials.csrfToken),
    fc.constantFrom('', 'x', credentials.csrfToken.toUpperCase(), 'a'.repeat(2_000)),
  );

/** An SDK event with any of its fields replaced by a value of any type. */
const sdkEvent = fc
  .record({
    type: fc.oneof(
      fc.constantFrom('exposure', 'conversion', 'goal_candidate', 'engagement', 'page_view'),
      fc.jsonValue(),
    ),
    id: fc.oneof(fc.uuid(), fc.string({ maxLength: 200 }), fc.jsonValue()),
    visitorId: fc.oneof(fc.uuid(), fc.string({ maxLength: 250 }), fc.jsonValue()),
    experiment: fc.oneof(fc.constantFrom('hero', 'pricing', '', 'a b'), fc.jsonValue()),
    variant: fc.oneof(fc.constantFrom('control', 'bold', ''), fc.jsonValue()),
    variants: fc.oneof(
      fc.constant(['control', 'bold']),
      fc.array(fc.string({ maxLength: 70 }), { maxLength: 60 }),
      fc.jsonValue(),
    ),
    allocationVersion: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    goal: fc.oneof(
      fc.constantFrom('signup', 'purchase'),
      fc.string({ maxLength: 140 }),
      fc.jsonValue(),
    ),
    kind: fc.oneof(fc.constantFrom('click', 'form_submit', 'page_view', 'hover'), fc.jsonValue()),
    label: fc.oneof(fc.string(), fc.jsonValue()),
    selector: fc.oneof(fc.string(), fc.jsonValue()),
    timestamp: fc.oneof(
      fc.constant(Date.now()),
      fc.constantFrom(0, -1, 1e20, Number.MAX_SAFE_INTEGER, 253402300800000, 1.5),
      fc.jsonValue(),
    ),
    scrollDepth: fc.oneof(fc.double(), fc.jsonValue()),
    activeMs: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    clicks: fc.oneof(fc.integer(), fc.jsonValue()),
    path: fc.oneof(fc.string(), fc.jsonValue()),
    referrer: fc.oneof(fc.string(), fc.jsonValue()),
  })
  .chain((event) =>
    // A random subset of the fields: missing ones are as telling as wrong ones.
    fc
      .subarray(Object.keys(event), { minLength: 1 })
      .map((keys) =>
        Object.fromEntries(keys.map((key) => [key, event[key as keyof typeof event]])),
      ),
  );

/** Bodies for the management API: its field names with values of any type. */
const API_FIELDS = [
  'name',
  'key',
  'variants',
  'hypothesis',
  'primaryGoal',
  'prior',
  'thresholds',
  'banditMode',
  'weights',
  'email',
  'role',
  'url',
  'events',
  'allowedOrigins',
  'autoCreateExperiments',
  'text',
  'body',
  'label',
  'token',
  'visitorId',
  'experiments',
  'sentAt',
  'userAgent',
  'enabled',
  'ids',
  '__proto__',
  'constructor',
];

const jsonBody = (credentials: Credentials): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          events: fc.oneof(
            { weight: 4, arbitrary: fc.array(sdkEvent, { minLength: 1, maxLength: 8 }) },
            { weight: 1, arbitrary: fc.jsonValue() },
            { weight: 1, arbitrary: fc.constant(Array.from({ length: 501 }, () => ({}))) },
          ),
          sentAt: fc.oneof(fc.constant(Date.now()), fc.jsonValue()),
          userAgent: fc.oneof(fc.constant('Mozilla/5.0 Chrome/131'), fc.jsonValue()),
          token: fc.oneof(fc.constant(credentials.projectToken), fc.jsonValue()),
        },
        { requiredKeys: ['events'] },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.dictionary(fc.constantFrom(...API_FIELDS), fc.jsonValue({ maxDepth: 3 }), {
        maxKeys: 6,
      }),
    },
    { weight: 1, arbitrary: fc.record({ visitorId: fc.jsonValue(), experiments: fc.jsonValue() }) },
    { weight: 1, arbitrary: fc.record({ token: fc.jsonValue(), email: fc.jsonValue() }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );

/** Bytes that are not UTF-8: overlong forms, lone continuation bytes, encoded surrogates. */
const INVALID_UTF8 = [
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
];

const body = (credentials: Credentials): fc.Arbitrary<Body> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) },
    {
      weight: 10,
      arbitrary: jsonBody(credentials).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    },
    {
      // Valid JSON with text PostgreSQL cannot store, or bytes that are not UTF-8 at all.
      weight: 3,
      arbitrary: fc
        .tuple(
          jsonBody(credentials),
          fc.constantFrom(...INVALID_UTF8),
          fc.constantFrom('\\u0000', '\\ud800', '\\udfff'),
        )
        .map(([value, bytes, jsonEscape]) => {
          const text = JSON.stringify(value) ?? 'null';
          // Inside the first string value when there is one, else at the start.
          const found = text.indexOf('":"');
          const at = found < 0 ? 0 : found + 3;
          return Buffer.concat([
            Buffer.from(text.slice(0, at)),
            at > 0 ? Buffer.from(jsonEscape) : bytes,
            bytes,
            Buffer.from(text.slice(at)),
          ]);
        }),
    },
    {
      // Deeply nested arrays or objects.
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: 100, max: 30_000 }), fc.boolean(), fc.boolean())
        .map(([depth, objects, inEvents]) => {
          const open = objects ? '{"a":'.repeat(depth) : '['.repeat(depth);
          const close = objects ? '}'.repeat(depth) : ']'.repeat(depth);
          const deep = `${open}1${close}`;
          return Buffer.from(
            inEvents
              ? `{"events":[{"type":"page_view","id":"d","visitorId":"v","path":${deep}}]}`
              : deep,
          );
        }),
    },
    {
      // Not JSON: truncated, random text, form encoding.
      weight: 3,
      arbitrary: fc.oneof(
        jsonBody(credentials).map((v) => Buffer.from((JSON.stringify(v) ?? 'null').slice(0, -1))),
        fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
        fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
        fc.constant(Buffer.from(`token=${credentials.projectToken}&email=a%40b.c`)),
        fc.constantFrom(
          Buffer.from('{"events":[1,2,3'),
          Buffer.from('{"__proto__":{"polluted":true},"events":[]}'),
          Buffer.from('{"constructor":{"prototype":{"x":1}}}'),
          Buffer.from('\ufeff{"events":[]}'),
          Buffer.from('{"events":[]} trailing'),
          Buffer.from('1e999999'),
          Buffer.from('"\\u0000"'),
          Buffer.from('{"email":"a@b.c","email":"d@e.f"}'),
        ),
      ),
    },
    {
      // Long strings in every field, still under the 1 MB limit.
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...API_FIELDS, 'id', 'visitorId', 'goal'),
          fc.integer({ min: 10_000, max: 500_000 }),
        )
        .map(([field, size]) =>
          Buffer.from(
            JSON.stringify({
              [field]: 'x'.repeat(size),
              events: [
                { type: 'conversion', id: 'long', visitorId: 'v', [field]: 'y'.repeat(size / 10) },
              ],
            }),
          ),
        ),
    },
    // Over the 1 MB limit.
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_048_577, max: 1_600_000 }).map((hugeBytes) => ({ hugeBytes })),
    },
  );

const extraHeaders = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string | Buffer]>(
      ['x-forwarded-for', '1.2.3.4, ::1, garbage'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'evil.example'],
      ['host', 'evil.example:1'],
      ['origin', 'https://evil.example'],
      ['origin', 'null'],
      ['origin', 'not a url'],
      ['sec-fetch-site', 'cross-site'],
      ['x-request-id', '../../etc'],
      ['x-request-id', 'a'.repeat(200)],
      ['if-none-match', '*'],
      ['if-none-match', 'W/"x", "y", ,,'],
      ['if-modified-since', 'yesterday'],
      ['range', 'bytes=0-0,-1,999999999999-'],
      ['accept', 'text/html'],
      ['accept', 'application/json;q=0, */*;q=abc'],
      ['accept-encoding', 'gzip, br, zstd, bogus'],
      ['accept-language', ';;;q=,'],
      ['content-encoding', 'gzip'],
      ['content-encoding', 'deflate'],
      ['content-encoding', 'br'],
      ['content-encoding', 'bogus'],
      ['expect', '100-continue'],
      ['expect', 'something-else'],
      ['upgrade', 'websocket'],
      ['user-agent', 'curl/8.0'],
      ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36'],
      ['user-agent', 'Googlebot/2.1'],
      ['x-huge', 'h'.repeat(20_000)],
      ['x-latin1', Buffer.from([0x61, 0xe9, 0xff, 0x62])],
      ['x-utf8', Buffer.from('日本語', 'utf8')],
    ),
    fc.tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
      fc.string({ maxLength: 100 }).map((s) => s.replace(/[\r\n]/g, ' ')),
    ),
  ),
  { maxLength: 4 },
);

/** Values at the edges of what JSON can say, for one field of an otherwise valid body. */
const EDGE_VALUES: unknown[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  2,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 2,
  1e21,
  '',
  ' ',
  'x'.repeat(10_000),
  'é'.repeat(300),
  '\u0000',
  '\ud800',
  '../../x',
  null,
  true,
  [],
  {},
  [null],
  { __proto__: null, x: 1 },
];

/** A valid request of a well-known shape: a route, a method and a body. */
interface Template {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
  /** `api` (the API key, or the session with its CSRF token), `project` or none. */
  readonly credential: 'api' | 'project' | 'none';
}

const templates = (c: Credentials): Template[] => {
  const p = `/api/projects/${c.projectId}`;
  return [
    {
      method: 'POST',
      path: `${p}/experiments`,
      credential: 'api',
      body: {
        key: 'generated',
        name: 'Generated',
        hypothesis: 'It helps',
        variants: [{ key: 'control' }, { key: 'b', name: 'B' }],
        primaryGoal: 'signup',
        prior: { alpha: 1, beta: 1 },
        thresholds: {
          minVisitorsPerVariant: 100,
          lossThreshold: 0.01,
          minProbabilityToBeBest: 0.95,
          ropeRelative: 0.05,
          ropeHalfWidth: 0.01,
        },
        banditMode: 'top-two',
        start: true,
      },
    },
    {
      method: 'PATCH',
      path: `${p}/experiments/hero`,
      credential: 'api',
      body: {
        name: 'Hero',
        hypothesis: null,
        primaryGoal: 'signup',
        prior: { alpha: 2, beta: 20 },
        thresholds: { lossThreshold: 0.02, ropeRelative: 0.1 },
        banditMode: 'thompson',
      },
    },
    {
      method: 'PUT',
      path: `${p}/experiments/hero/allocation`,
      credential: 'api',
      body: { weights: [0.5, 0.5], expectedVersion: 1 },
    },
    {
      method: 'POST',
      path: `${p}/experiments/hero/variants`,
      credential: 'api',
      body: { key: 'third', name: 'Third' },
    },
    {
      method: 'POST',
      path: `${p}/experiments/hero/notes`,
      credential: 'api',
      body: { body: 'A note' },
    },
    {
      method: 'GET',
      path: `${p}/experiments/hero/results?goal=signup`,
      credential: 'api',
      body: undefined,
    },
    {
      method: 'GET',
      path: `${p}/experiments/hero/decisions?limit=5`,
      credential: 'api',
      body: undefined,
    },
    {
      method: 'POST',
      path: `${p}/invitations`,
      credential: 'api',
      body: { email: 'new@example.com', role: 'member' },
    },
    {
      method: 'POST',
      path: `${p}/webhooks`,
      credential: 'api',
      body: { url: 'https://hooks.example.com/x' },
    },
    {
      method: 'PATCH',
      path: p,
      credential: 'api',
      body: {
        name: 'My project',
        autoCreateExperiments: true,
        allowedOrigins: [],
        autotrack: { goals: true },
      },
    },
    {
      method: 'PUT',
      path: `${p}/members/me/notifications`,
      credential: 'api',
      body: { email: false },
    },
    { method: 'POST', path: `${p}/notifications/read`, credential: 'api', body: { ids: ['x'] } },
    { method: 'POST', path: `${p}/tokens`, credential: 'api', body: { name: 'generated' } },
    {
      method: 'POST',
      path: '/api/projects',
      credential: 'api',
      body: { name: 'Generated project' },
    },
    {
      method: 'POST',
      path: '/v1/assign',
      credential: 'project',
      body: { visitorId: 'visitor-1', experiments: ['hero', 'pricing'] },
    },
    {
      method: 'POST',
      path: '/v1/events',
      credential: 'project',
      body: {
        sentAt: Date.now(),
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36',
        events: [
          {
            type: 'exposure',
            id: 'generated-exposure',
            visitorId: 'visitor-1',
            experiment: 'hero',
            variant: 'control',
            variants: ['control', 'b'],
            allocationVersion: 1,
            timestamp: Date.now(),
          },
          {
            type: 'conversion',
            id: 'generated-conversion',
            visitorId: 'visitor-1',
            goal: 'signup',
          },
          {
            type: 'engagement',
            id: 'generated-engagement',
            visitorId: 'visitor-1',
            scrollDepth: 0.5,
            activeMs: 1000,
            clicks: 2,
            formStarts: 1,
            formSubmits: 0,
          },
        ],
      },
    },
    {
      method: 'POST',
      path: '/auth/magic-link',
      credential: 'none',
      body: { email: 'someone@example.com' },
    },
  ];
};

/** Every path to a value inside `value` (objects and arrays), the root excepted. */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return entries.flatMap(([key, inner]) => [
    [...prefix, key],
    ...fieldPaths(inner, [...prefix, key]),
  ]);
}

/** `value` with the field at `path` replaced by `replacement` (or removed, for undefined). */
function replaced(
  value: unknown,
  path: readonly (string | number)[],
  replacement: unknown,
): unknown {
  const copy: unknown = structuredClone(value);
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined && !Array.isArray(at)) delete at[last];
  else at[last] = replacement;
  return copy;
}

/**
 * Well-formed requests to the handlers behind the guards, with valid credentials, each with
 * one field replaced by a value at the edge of what JSON can say, a random value, or removed
 * (one in four left valid): where validation gaps turn into 500s.
 */
function nearValidRequests(credentials: Credentials): fc.Arbitrary<HostileRequest> {
  const all = templates(credentials);
  return fc
    .record({
      template: fc.constantFrom(...all),
      pick: fc.nat(),
      mutate: fc.oneof(
        { weight: 1, arbitrary: fc.constant<'keep'>('keep') },
        { weight: 3, arbitrary: fc.constant<'edge'>('edge') },
        { weight: 1, arbitrary: fc.constant<'random'>('random') },
        { weight: 1, arbitrary: fc.constant<'remove'>('remove') },
      ),
      edge: fc.constantFrom(...EDGE_VALUES),
      random: fc.jsonValue({ maxDepth: 3 }),
      session: fc.boolean(),
      unique: fc.uuid(),
    })
    .map(({ template, pick, mutate, edge, random, session, unique }) => {
      let body: unknown = template.body;
      if (body !== undefined) {
        // Event IDs and experiment keys of their own, so that a valid request does something.
        body = JSON.parse(JSON.stringify(body).replaceAll('generated', `g${unique.slice(0, 8)}`));
        const paths = fieldPaths(body);
        const path = paths[pick % paths.length];
        if (path && mutate !== 'keep') {
          body = replaced(
            body,
            path,
            mutate === 'edge' ? edge : mutate === 'random' ? random : undefined,
          );
        }
      }
      const headers: [string, string][] = [['host', '127.0.0.1']];
      if (template.credential === 'project') {
        headers.push(['authorization', `Bearer ${credentials.projectToken}`]);
      } else if (template.credential === 'api' && session) {
        headers.push(
          ['cookie', credentials.sessionCookie],
          ['x-csrf-token', credentials.csrfToken],
        );
      } else if (template.credential === 'api') {
        headers.push(['authorization', `Bearer ${credentials.apiKey}`]);
      }
      if (body !== undefined) headers.push(['content-type', 'application/json']);
      const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
      return {
        method: template.method,
        target: template.path,
        headers,
        body: bytes,
        chunked: false,
      };
    });
}

/** The request generator, for {@link fc.sample} with a fixed seed. */
export function hostileRequests(credentials: Credentials): fc.Arbitrary<HostileRequest> {
  return fc.oneof(
    { weight: 2, arbitrary: malformedRequests(credentials) },
    { weight: 1, arbitrary: nearValidRequests(credentials) },
  );
}

/** Requests malformed anywhere: method, target, headers, credentials, body. */
function malformedRequests(credentials: Credentials): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
        { weight: 2, arbitrary: fc.constantFrom('OPTIONS', 'HEAD') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'PROPFIND',
            'TRACE',
            'FOO',
            'get',
            'M-SEARCH',
            'PURGE',
            'QUERY',
          ),
        },
      ),
      target: target(credentials),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 4 }),
      authorization: authorization(credentials),
      xToken: fc.option(fc.constantFrom(credentials.projectToken, 'vv_proj_nope', ''), { freq: 6 }),
      cookie: cookie(credentials),
      csrf: csrf(credentials),
      body: body(credentials),
      chunked: fc.oneof(
        { weight: 6, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      extra: extraHeaders,
    })
    .map((r) => {
      const headers: [string, string | Buffer][] = [];
      if (!r.extra.some(([name]) => name === 'host')) headers.push(['host', '127.0.0.1']);
      if (r.contentType !== null) headers.push(['content-type', r.contentType]);
      if (r.authorization !== undefined) headers.push(['authorization', r.authorization]);
      if (r.xToken !== null) headers.push(['x-vibariant-token', r.xToken]);
      if (r.cookie !== undefined) headers.push(['cookie', r.cookie]);
      if (r.csrf !== undefined) headers.push(['x-csrf-token', r.csrf]);
      headers.push(...r.extra);
      return { method: r.method, target: r.target, headers, body: r.body, chunked: r.chunked };
    });
}

/** The request as bytes on the wire, with `Connection: close`. */
export function requestBytes(request: HostileRequest): Buffer {
  const body =
    'hugeBytes' in request.body
      ? Buffer.from(`{"events":[],"pad":"${'p'.repeat(request.body.hugeBytes)}"}`)
      : request.body;
  const head: Buffer[] = [
    Buffer.from(`${request.method} `),
    Buffer.from(request.target),
    Buffer.from(' HTTP/1.1\r\n'),
  ];
  for (const [name, value] of request.headers) {
    head.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  }
  head.push(Buffer.from('connection: close\r\n'));
  if (request.chunked) {
    head.push(Buffer.from('transfer-encoding: chunked\r\n\r\n'));
    const chunks =
      body.length === 0
        ? []
        : [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')];
    return Buffer.concat([...head, ...chunks, Buffer.from('0\r\n\r\n')]);
  }
  head.push(Buffer.from(`content-length: ${body.length}\r\n\r\n`));
  return Buffer.concat([...head, body]);
}

/** A short description of a request, for failure reports. */
export function describeRequest(request: HostileRequest): string {
  const body =
    'hugeBytes' in request.body
      ? `<${request.body.hugeBytes} bytes>`
      : request.body.subarray(0, 300).toString('utf8');
  const headers = request.headers.map(([n, v]) => `${n}: ${String(v).slice(0, 80)}`).join(' | ');
  return `${request.method} ${request.target.slice(0, 300)} [${headers}]${request.chunked ? ' chunked' : ''} ${body}`;
}
