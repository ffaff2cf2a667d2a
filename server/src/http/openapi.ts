/**
 * The API reference: an OpenAPI 3.1 document of every HTTP route. Request bodies, query and path
 * parameters are the zod schemas the routes validate with, turned into JSON Schema 2020-12 (the
 * dialect OpenAPI 3.1 uses) by `z.toJSONSchema`; responses are short JSON schemas written here.
 */
import { type Router, Router as router } from 'express';
import { z } from 'zod';
import { batchSchema, eventSchema, MAX_EVENTS_PER_BATCH } from '../contracts/events.js';
import { accountInputs } from '../features/accounts/account-service.js';
import { activityInputs } from '../features/activity/activity-service.js';
import { assignmentInputs } from '../features/assignment/assignment-router.js';
import { resultsInputs } from '../features/decisions/results-router.js';
import { EXPERIMENT_ACTIONS, experimentInputs } from '../features/experiments/experiment-router.js';
import { goalInputs } from '../features/goals/goal-router.js';
import { notificationInputs } from '../features/notifications/notification-service.js';
import { projectInputs } from '../features/projects/project-router.js';
import { teamInputs } from '../features/teams/team-service.js';
import { webhookInputs } from '../features/webhooks/webhook-service.js';
import { ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE } from './session-cookies.js';

/** A JSON Schema (2020-12), as OpenAPI 3.1 uses it. */
type JsonSchema = Record<string, unknown>;

/** What a zod schema accepts, as JSON Schema: its input side, before defaults and transforms. */
function accepts(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input' });
  return json;
}

// Response shapes, written once: what the services return, as JSON.
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const orNull = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
const list = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const oneOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });
const string = { type: 'string' };
const integer = { type: 'integer' };
const number = { type: 'number' };
const boolean = { type: 'boolean' };
const dateTime = { type: 'string', format: 'date-time' };
const anyObject = { type: 'object' };
/** An object whose listed properties are always there. */
const object = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
});

const schemas: Record<string, JsonSchema> = {
  Error: object(
    {
      error: object({
        code: string,
        message: string,
        details: {
          ...anyObject,
          description:
            '`field` names the request field at fault (400: `issues` lists every invalid field; 429: `retryAfterSeconds`).',
        },
      }),
    },
    'Every error has this body.',
  ),
  Role: oneOf('owner', 'member'),
  User: object({ id: string, email: string, name: orNull(string), createdAt: dateTime }),
  SignedIn: object({ user: ref('User'), csrfToken: string }),
  Project: object({
    id: string,
    name: string,
    autoCreateExperiments: boolean,
    allowedOrigins: list(string),
    autotrack: anyObject,
    createdAt: dateTime,
  }),
  ProjectToken: object({
    id: string,
    projectId: string,
    token: { ...string, description: 'Public: `vv_proj_…`' },
    name: string,
    createdAt: dateTime,
    revokedAt: orNull(dateTime),
  }),
  ApiKey: object({
    id: string,
    projectId: string,
    name: string,
    prefix: { ...string, description: 'The first characters of the key' },
    createdAt: dateTime,
    lastUsedAt: orNull(dateTime),
    revokedAt: orNull(dateTime),
  }),
  Decision: {
    type: 'object',
    description:
      "The stats engine's decision (see the README's `decide(input): Decision`). Lists and histories leave out each variant's `density` curve.",
    properties: {
      version: integer,
      status: oneOf('collecting_data', 'keep_testing', 'ready_to_ship', 'practically_equivalent'),
      leader: string,
      effect: orNull(oneOf('clear', 'likely', 'none_detected')),
      variants: list(anyObject),
      differences: list(anyObject),
      recommendation: string,
    },
    required: ['version', 'status', 'leader', 'variants', 'recommendation'],
  },
  Allocation: object({ weights: list(number), version: integer, updatedAt: dateTime }),
  Experiment: object({
    id: string,
    projectId: string,
    key: string,
    name: string,
    hypothesis: orNull(string),
    status: oneOf('draft', 'running', 'paused', 'stopped'),
    variants: list(object({ key: string, name: string })),
    primaryGoal: orNull(string),
    prior: orNull(object({ alpha: number, beta: number })),
    thresholds: orNull(anyObject),
    banditMode: oneOf('top-two', 'thompson', 'off'),
    allocation: ref('Allocation'),
    createdBy: { ...string, description: '`code` when an SDK exposure created it, else `api`' },
    decision: orNull(ref('Decision')),
    decisionStatus: orNull(string),
    decidedAt: orNull(dateTime),
    createdAt: dateTime,
    updatedAt: dateTime,
    startedAt: orNull(dateTime),
    stoppedAt: orNull(dateTime),
    archivedAt: orNull(dateTime),
  }),
  Results: object({
    experiment: { ...anyObject, description: 'The experiment, without IDs and decision' },
    goal: orNull(string),
    decision: ref('Decision'),
  }),
  DecisionSnapshot: object({
    takenAt: dateTime,
    goal: orNull(string),
    status: string,
    decision: ref('Decision'),
  }),
  AllocationEpoch: object({
    version: integer,
    startedAt: dateTime,
    endedAt: orNull(dateTime),
    variants: list(object({ key: string, weight: number, visitors: integer })),
    visitors: integer,
  }),
  Note: object({
    id: string,
    experimentId: string,
    authorUserId: orNull(string),
    authorLabel: string,
    body: string,
    createdAt: dateTime,
  }),
  Goal: object({
    key: string,
    status: oneOf('candidate', 'confirmed', 'rejected'),
    source: oneOf('track', 'detected'),
    kind: orNull(string),
    label: orNull(string),
    selector: orNull(string),
    events: integer,
    firstSeenAt: dateTime,
    lastSeenAt: dateTime,
    convertedVisitors: integer,
    experiments: integer,
  }),
  Notification: object({
    id: string,
    projectId: string,
    experimentId: orNull(string),
    kind: oneOf('ready_to_ship', 'practically_equivalent', 'srm_detected'),
    payload: anyObject,
    createdAt: dateTime,
    readAt: orNull(dateTime),
  }),
  NotificationSettings: object({ email: boolean }),
  Member: object({
    userId: string,
    email: string,
    name: orNull(string),
    role: ref('Role'),
    joinedAt: dateTime,
  }),
  Invitation: object({
    email: string,
    role: ref('Role'),
    invitedAt: dateTime,
    expiresAt: dateTime,
  }),
  Webhook: object({ id: string, projectId: string, url: string, createdAt: dateTime }),
  Delivery: object({
    id: string,
    webhookId: string,
    notificationId: orNull(string),
    body: anyObject,
    state: oneOf('pending', 'delivered', 'failed'),
    attempts: integer,
    lastStatus: orNull(integer),
    lastError: orNull(string),
    nextAttemptAt: orNull(dateTime),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  SdkConfig: object({
    projectId: string,
    experiments: list(
      object({
        key: string,
        variants: list(string),
        weights: list(number),
        allocationVersion: integer,
      }),
    ),
    goals: list(string),
    autotrack: anyObject,
  }),
  Assignment: {
    oneOf: [
      object({
        experiment: string,
        variant: string,
        variantIndex: integer,
        allocationVersion: integer,
        source: oneOf('exposure', 'hash'),
      }),
      object({
        experiment: string,
        variant: { type: 'null' },
        reason: oneOf('unknown_experiment', 'not_running'),
      }),
    ],
  },
  IngestResult: object({
    accepted: integer,
    duplicates: integer,
    rejected: list(object({ index: integer, field: string, reason: string })),
    notCounted: {
      ...list(object({ index: integer, reason: string })),
      description: 'Stored events that changed no count, and why (a bot, an unknown experiment…)',
    },
  }),
};

/** Statuses of the common error body, each described once: name, usual `code`, meaning. */
const ERRORS = {
  400: [
    'BadRequest',
    'invalid_request',
    'A field is missing or invalid (`details.field` names it), or the body is not JSON',
  ],
  401: [
    'Unauthorized',
    'unauthorized',
    'No credential, or one that is unknown, revoked or expired',
  ],
  403: [
    'Forbidden',
    'forbidden',
    'The credential does not reach this resource, or the CSRF token is missing',
  ],
  404: ['NotFound', 'not_found', 'No such resource in this project'],
  409: ['Conflict', 'conflict', "The request conflicts with the resource's state"],
  413: ['PayloadTooLarge', 'payload_too_large', 'The body is too large'],
  415: ['UnsupportedMediaType', 'unsupported_media_type', 'The body is not JSON'],
  429: ['TooManyRequests', 'rate_limited', 'Rate limited: retry after `Retry-After` seconds'],
  502: ['BadGateway', 'github_failed', 'GitHub answered something sign-in cannot use'],
} as const;
type ErrorStatus = keyof typeof ERRORS;

/** Who may call a route, and the errors that this alone can cause. */
const ACCESS = {
  public: { security: [], errors: [] },
  sdk: {
    security: [{ projectToken: [] }, { projectTokenHeader: [] }],
    errors: [401, 403, 429],
  },
  management: { security: [{ apiKey: [] }, { session: [] }], errors: [400, 401, 403] },
  /** State changes with a session also need the CSRF token. */
  managementChange: {
    security: [{ apiKey: [] }, { session: [], csrf: [] }],
    errors: [400, 401, 403],
  },
  session: { security: [{ session: [] }], errors: [401] },
  refresh: { security: [{ refreshSession: [], csrf: [] }], errors: [401, 403] },
  /** Without a session there is nothing to end: the same answer. */
  signOut: { security: [{ refreshSession: [], csrf: [] }, {}], errors: [403] },
} as const satisfies Record<string, { security: unknown[]; errors: ErrorStatus[] }>;
type Access = keyof typeof ACCESS;

/** One route's entry in the reference. */
interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** Default: `public` outside `/api`, else `management` (with CSRF for changes). */
  readonly access?: Access;
  readonly query?: z.ZodObject;
  /** The schema the route validates its body with. */
  readonly body?: z.ZodType;
  /** A body the route checks by hand. */
  readonly bodySchema?: JsonSchema;
  /** Media types of the body (default JSON). */
  readonly bodyTypes?: readonly string[];
  /** Success responses, by status. */
  readonly ok: Record<number, unknown>;
  /** Errors besides those of its access and of reading its body. */
  readonly errors?: readonly ErrorStatus[];
}

const json = (description: string, schema: JsonSchema, status = 200) => ({
  [status]: { description, content: { 'application/json': { schema } } },
});
const noContent = { 204: { description: 'Done' } };
const html = (description: string) => ({
  200: { description, content: { 'text/html': { schema: string } } },
});
const redirect = (status: number, description: string) => ({
  [status]: { description, headers: { Location: { schema: string } } },
});

/** Path parameters, described once; their schema is the one the route checks them with. */
const PATH_PARAMETERS: Record<string, { description: string; schema?: z.ZodType }> = {
  projectId: { description: "The project's ID" },
  key: { description: "The experiment's key" },
  goalKey: { description: "The goal's key, URL-encoded: it may hold any printable character" },
  tokenId: { description: "The project token's ID" },
  keyId: { description: "The API key's ID" },
  webhookId: { description: "The webhook's ID" },
  userId: { description: "The member's user ID" },
  email: {
    description: 'The invited address, URL-encoded',
    schema: teamInputs.invitation.shape.email,
  },
};

const projectPath = '/api/projects/:projectId';
const experimentPath = `${projectPath}/experiments/:key`;

const experimentBody = (description: string) =>
  json(description, object({ experiment: ref('Experiment') }));

/** Every route, as `METHOD /path` in Express's syntax, by tag. */
const ROUTES: Record<string, Record<string, RouteDoc>> = {
  Health: {
    'GET /healthz': {
      summary: 'Liveness: the process answers',
      ok: json('Alive', object({ ok: { const: true } })),
    },
    'GET /readyz': {
      summary: 'Readiness: the database answers and every migration is applied',
      ok: {
        ...json('Ready', object({ ok: { const: true }, database: oneOf('pglite', 'pg') })),
        ...json(
          'Not ready: send no traffic yet',
          {
            type: 'object',
            properties: {
              ok: { const: false },
              reason: oneOf('database_unreachable', 'migrations_pending'),
              pending: integer,
            },
            required: ['ok', 'reason'],
          },
          503,
        ),
      },
    },
    'GET /metrics': {
      summary: "The server's metrics, in Prometheus' text format (see the README)",
      ok: {
        200: {
          description: 'Counters, gauges and histograms',
          content: { 'text/plain; version=0.0.4': { schema: string } },
        },
      },
    },
  },
  'API reference': {
    'GET /api/openapi.json': {
      summary: 'This document',
      access: 'public',
      ok: json('OpenAPI 3.1', anyObject),
    },
    'GET /api/docs': {
      summary: 'This document, to read and try out in a browser',
      access: 'public',
      ok: html('The interactive reference'),
    },
  },
  SDK: {
    'GET /vibariant.global.js': {
      summary: "The SDK's script-tag bundle",
      description:
        'For `<script src=".../vibariant.global.js" data-token="vv_proj_…">` on any site; cached for 5 minutes.',
      ok: {
        200: { description: 'The script', content: { 'text/javascript': { schema: string } } },
      },
      errors: [404],
    },
    'GET /v1/config': {
      summary: "The running experiments' configuration",
      description: 'Answers 304 when `If-None-Match` names the current `ETag`.',
      access: 'sdk',
      ok: { ...json('The configuration', ref('SdkConfig')), 304: { description: 'Unchanged' } },
    },
    'POST /v1/assign': {
      summary: 'Assign a visitor to experiments on the server',
      access: 'sdk',
      body: assignmentInputs.assign,
      ok: json('One assignment per experiment', object({ assignments: list(ref('Assignment')) })),
    },
    'POST /v1/events': {
      summary: 'Send a batch of events',
      description:
        'Each event is checked on its own: one that does not match its schema is listed in `rejected` and the others are stored; only an invalid envelope refuses the batch (400). sendBeacon posts it as `text/plain`, with the token in `token`. An event already stored (same `id`) counts as a duplicate.',
      access: 'sdk',
      body: batchSchema.extend({ events: z.array(eventSchema).min(1).max(MAX_EVENTS_PER_BATCH) }),
      bodyTypes: ['application/json', 'text/plain'],
      ok: json('What was stored', ref('IngestResult')),
    },
  },
  'Sign-in': {
    'POST /auth/magic-link': {
      summary: 'Email a sign-in link',
      description: 'The same answer whether or not the address belongs to someone.',
      body: accountInputs.signInLink,
      ok: json('Sent', object({ ok: { const: true } }), 202),
      errors: [400, 413, 429],
    },
    'GET /auth/magic-link/verify': {
      summary: "The emailed link's page",
      description:
        'A button that uses the link (`?token=`), so that mail scanners fetching it do not.',
      ok: html('The page'),
    },
    'POST /auth/magic-link/verify': {
      summary: 'Use a sign-in link',
      description:
        "Sets the session's cookies. From the link's page (a form) it redirects to the dashboard; with JSON it answers the user and the CSRF token. Refused from another site's pages (403).",
      bodySchema: object({ token: string }),
      bodyTypes: ['application/json', 'application/x-www-form-urlencoded'],
      ok: {
        ...json('Signed in (JSON)', ref('SignedIn')),
        ...redirect(303, 'Signed in (form): to the dashboard, or the project joined'),
      },
      errors: [400, 401, 403, 413],
    },
    'GET /auth/providers': {
      summary: 'The sign-in methods this server offers',
      ok: json('Methods', object({ email: boolean, github: boolean })),
    },
    'GET /auth/github': {
      summary: 'Start signing in with GitHub',
      ok: redirect(302, "To GitHub's authorization page"),
      errors: [404],
    },
    'GET /auth/github/callback': {
      summary: 'Where GitHub sends the browser back',
      description:
        'With `code` and `state` (or `error`) in the query; the state must be the one this browser was given (403).',
      ok: redirect(303, 'Signed in: to the dashboard'),
      errors: [400, 403, 404, 502],
    },
    'POST /auth/refresh': {
      summary: 'Renew the session',
      description: "Uses the refresh cookie once and sets the session's new cookies.",
      access: 'refresh',
      ok: json('Renewed', ref('SignedIn')),
    },
    'POST /auth/logout': {
      summary: 'Sign out',
      access: 'signOut',
      ok: noContent,
    },
    'GET /auth/me': {
      summary: 'The signed-in user',
      access: 'session',
      ok: json(
        'The user, their projects and the CSRF token',
        object({
          user: ref('User'),
          memberships: list(object({ projectId: string, role: ref('Role') })),
          csrfToken: string,
        }),
      ),
    },
  },
  Projects: {
    'GET /api/projects': {
      summary: 'The projects the caller reaches',
      description: "An API key's own project; a user's memberships.",
      ok: json('Projects', object({ projects: list(ref('Project')) })),
    },
    'POST /api/projects': {
      summary: 'Create a project (a signed-in user becomes its owner)',
      body: projectInputs.create,
      ok: json(
        'The project with its first token and API key (the key is shown only here)',
        object({
          project: ref('Project'),
          token: ref('ProjectToken'),
          apiKey: ref('ApiKey'),
          key: string,
        }),
        201,
      ),
    },
    [`GET ${projectPath}`]: {
      summary: 'A project',
      ok: json('The project', object({ project: ref('Project') })),
    },
    [`PATCH ${projectPath}`]: {
      summary: "Change a project's settings (owners)",
      body: projectInputs.patch,
      ok: json('The project', object({ project: ref('Project') })),
    },
    [`GET ${projectPath}/tokens`]: {
      summary: 'Public project tokens',
      ok: json('Tokens', object({ tokens: list(ref('ProjectToken')) })),
    },
    [`POST ${projectPath}/tokens`]: {
      summary: 'Create a project token (owners)',
      body: projectInputs.named,
      ok: json('The token', object({ token: ref('ProjectToken') }), 201),
    },
    [`DELETE ${projectPath}/tokens/:tokenId`]: {
      summary: 'Revoke a project token (owners)',
      ok: json('The revoked token', object({ token: ref('ProjectToken') })),
      errors: [404],
    },
    [`GET ${projectPath}/api-keys`]: {
      summary: 'Secret API keys (owners)',
      ok: json('Keys, by prefix', object({ apiKeys: list(ref('ApiKey')) })),
    },
    [`POST ${projectPath}/api-keys`]: {
      summary: 'Create a secret API key (owners)',
      body: projectInputs.named,
      ok: json(
        'The key: shown only here',
        object({ apiKey: ref('ApiKey'), key: { ...string, description: '`vv_sk_…`' } }),
        201,
      ),
    },
    [`DELETE ${projectPath}/api-keys/:keyId`]: {
      summary: 'Revoke a secret API key (owners)',
      description: "The project's last live key cannot be revoked (409).",
      ok: json('The revoked key', object({ apiKey: ref('ApiKey') })),
      errors: [404, 409],
    },
  },
  Experiments: {
    [`GET ${projectPath}/experiments`]: {
      summary: 'Experiments, with their latest decision',
      description: '`status` takes one status or several, comma-separated: `running,paused`.',
      query: experimentInputs.listQuery,
      ok: json('Experiments', object({ experiments: list(ref('Experiment')) })),
    },
    [`POST ${projectPath}/experiments`]: {
      summary: 'Create an experiment',
      body: experimentInputs.create,
      ok: experimentBody('The experiment'),
      errors: [409],
    },
    [`GET ${experimentPath}`]: {
      summary: 'An experiment',
      ok: experimentBody('The experiment, its latest decision and allocation'),
      errors: [404],
    },
    [`PATCH ${experimentPath}`]: {
      summary: 'Change an experiment',
      body: experimentInputs.update,
      ok: experimentBody('The experiment'),
      errors: [404, 409],
    },
    ...Object.fromEntries(
      EXPERIMENT_ACTIONS.map((action): [string, RouteDoc] => [
        `POST ${experimentPath}/${action}`,
        {
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} an experiment`,
          description: 'A transition its status does not allow is a 409 (`details.from`, `to`).',
          body: experimentInputs.noBody,
          ok: experimentBody('The experiment'),
          errors: [404, 409],
        },
      ]),
    ),
    [`POST ${experimentPath}/variants`]: {
      summary: 'Add a variant',
      body: experimentInputs.variant,
      ok: { 201: experimentBody('The experiment')[200] },
      errors: [404, 409],
    },
    [`PUT ${experimentPath}/allocation`]: {
      summary: 'Set the traffic allocation by hand',
      description: 'With `expectedVersion`, a 409 when the allocation changed meanwhile.',
      body: experimentInputs.allocation,
      ok: experimentBody('The experiment'),
      errors: [404, 409],
    },
    [`GET ${experimentPath}/results`]: {
      summary: 'The decision computed now, for any goal of the project',
      query: resultsInputs.resultsQuery,
      ok: json('Results', ref('Results')),
      errors: [404],
    },
    [`GET ${experimentPath}/decisions`]: {
      summary: 'The decision history',
      query: resultsInputs.historyQuery,
      ok: json('Decisions, oldest first', object({ decisions: list(ref('DecisionSnapshot')) })),
      errors: [404],
    },
    [`GET ${experimentPath}/allocations`]: {
      summary: 'The allocation history',
      ok: json('Allocation epochs', object({ allocations: list(ref('AllocationEpoch')) })),
      errors: [404],
    },
    [`GET ${experimentPath}/notes`]: {
      summary: "The experiment's activity feed",
      ok: json('Notes, oldest first', object({ notes: list(ref('Note')) })),
      errors: [404],
    },
    [`POST ${experimentPath}/notes`]: {
      summary: 'Add a note',
      body: activityInputs.note,
      ok: json('The note', object({ note: ref('Note') }), 201),
      errors: [404],
    },
  },
  Goals: {
    [`GET ${projectPath}/goals`]: {
      summary: 'Goals, with their counts',
      query: goalInputs.listQuery,
      ok: json('Goals, most events first', object({ goals: list(ref('Goal')) })),
    },
    [`GET ${projectPath}/goals/:goalKey`]: {
      summary: 'A goal',
      ok: json('The goal', object({ goal: ref('Goal') })),
      errors: [404],
    },
    [`POST ${projectPath}/goals/:goalKey/confirm`]: {
      summary: 'Confirm a goal',
      body: goalInputs.noBody,
      ok: json('The goal', object({ goal: ref('Goal') })),
      errors: [404],
    },
    [`POST ${projectPath}/goals/:goalKey/reject`]: {
      summary: 'Reject a goal',
      body: goalInputs.noBody,
      ok: json('The goal', object({ goal: ref('Goal') })),
      errors: [404],
    },
  },
  Notifications: {
    [`GET ${projectPath}/notifications`]: {
      summary: 'Latest notifications, newest first',
      query: notificationInputs.listQuery,
      ok: json('Notifications', object({ notifications: list(ref('Notification')) })),
    },
    [`POST ${projectPath}/notifications/read`]: {
      summary: 'Mark notifications read (`ids`, or all)',
      body: notificationInputs.read,
      ok: json('How many were unread', object({ marked: integer })),
    },
    [`GET ${projectPath}/members/me/notifications`]: {
      summary: "The signed-in member's email setting",
      ok: json('The setting', ref('NotificationSettings')),
    },
    [`PUT ${projectPath}/members/me/notifications`]: {
      summary: "Set the signed-in member's email setting",
      body: notificationInputs.settings,
      ok: json('The setting', ref('NotificationSettings')),
    },
  },
  Team: {
    [`GET ${projectPath}/members`]: {
      summary: 'Members and open invitations',
      ok: json(
        'The team',
        object({ members: list(ref('Member')), invitations: list(ref('Invitation')) }),
      ),
    },
    [`POST ${projectPath}/invitations`]: {
      summary: 'Invite someone by email (signed-in owners)',
      body: teamInputs.invitation,
      ok: json(
        'The invitation, emailed',
        object({ invitation: object({ email: string, role: ref('Role'), expiresAt: dateTime }) }),
        201,
      ),
      errors: [409, 429],
    },
    [`DELETE ${projectPath}/invitations/:email`]: {
      summary: 'Cancel an invitation (owners)',
      ok: noContent,
      errors: [404],
    },
    [`PATCH ${projectPath}/members/:userId`]: {
      summary: "Change a member's role (owners)",
      description: 'A project keeps at least one owner (409).',
      body: teamInputs.role,
      ok: json('The member', object({ member: ref('Member') })),
      errors: [404, 409],
    },
    [`DELETE ${projectPath}/members/:userId`]: {
      summary: 'Remove a member (owners), or leave',
      ok: noContent,
      errors: [404, 409],
    },
  },
  Webhooks: {
    [`GET ${projectPath}/webhooks`]: {
      summary: 'Webhooks with their latest deliveries (owners)',
      ok: json(
        'Webhooks',
        object({
          webhooks: list({
            allOf: [ref('Webhook'), object({ deliveries: list(ref('Delivery')) })],
          }),
        }),
      ),
    },
    [`POST ${projectPath}/webhooks`]: {
      summary: 'Add a webhook (owners)',
      body: webhookInputs.add,
      ok: json(
        'The webhook and the secret that signs its deliveries (shown only here)',
        object({ webhook: ref('Webhook'), secret: string }),
        201,
      ),
      errors: [409],
    },
    [`DELETE ${projectPath}/webhooks/:webhookId`]: {
      summary: 'Remove a webhook (owners)',
      ok: noContent,
      errors: [404],
    },
    [`POST ${projectPath}/webhooks/:webhookId/test`]: {
      summary: 'Send a test delivery (owners)',
      ok: json('The delivery, queued', object({ delivery: ref('Delivery') }), 202),
      errors: [404, 429],
    },
    [`GET ${projectPath}/webhooks/:webhookId/deliveries`]: {
      summary: "A webhook's latest deliveries (owners)",
      ok: json('Deliveries, newest first', object({ deliveries: list(ref('Delivery')) })),
      errors: [404],
    },
  },
};

/** Query parameters from a zod object: one per property. */
function queryParameters(schema: z.ZodObject): unknown[] {
  const json = accepts(schema) as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** The path's parameters, described in PATH_PARAMETERS. */
function pathParameters(path: string): unknown[] {
  return [...path.matchAll(/:(\w+)/g)].map(([, name = '']) => {
    const parameter = PATH_PARAMETERS[name];
    if (!parameter) throw new Error(`Describe the path parameter :${name} (http/openapi.ts)`);
    return {
      name,
      in: 'path',
      required: true,
      description: parameter.description,
      schema: parameter.schema ? accepts(parameter.schema) : string,
    };
  });
}

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

/** One route's operation object: its access, parameters, body and every status it answers. */
function operation(tag: string, method: string, path: string, doc: RouteDoc) {
  const access =
    doc.access ??
    (path.startsWith('/api/')
      ? UNSAFE.has(method)
        ? 'managementChange'
        : 'management'
      : 'public');
  const bodySchema = doc.body ? accepts(doc.body) : doc.bodySchema;
  // A body the route reads can be malformed (400), too large (413) or of another type (415;
  // `/auth` reads only the types it parses).
  const bodyErrors: ErrorStatus[] = !bodySchema
    ? []
    : path.startsWith('/auth/')
      ? [400, 413]
      : [400, 413, 415];
  const errors = new Set<ErrorStatus>([
    ...ACCESS[access].errors,
    ...bodyErrors,
    ...(doc.errors ?? []),
  ]);
  const parameters = [...pathParameters(path), ...(doc.query ? queryParameters(doc.query) : [])];
  return {
    tags: [tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    security: ACCESS[access].security,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(bodySchema
      ? {
          requestBody: {
            // Routes that read `body ?? {}` take no body where their schema accepts `{}`.
            required: doc.body ? !doc.body.safeParse({}).success : true,
            content: Object.fromEntries(
              (doc.bodyTypes ?? ['application/json']).map((type) => [type, { schema: bodySchema }]),
            ),
          },
        }
      : {}),
    responses: {
      ...doc.ok,
      ...Object.fromEntries(
        [...errors]
          .sort()
          .map((status) => [status, { $ref: `#/components/responses/${ERRORS[status][0]}` }]),
      ),
    },
  };
}

/** Express's `/a/:b` as OpenAPI's `/a/{b}`. */
const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/**
 * The OpenAPI 3.1 document of every HTTP route (built from the table above; a test checks that it
 * lists exactly the routes the app registers).
 */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [tag, routes] of Object.entries(ROUTES)) {
    for (const [route, doc] of Object.entries(routes)) {
      const [upper = '', path = ''] = route.split(' ');
      const method = upper.toLowerCase();
      const key = openApiPath(path);
      paths[key] = { ...paths[key], [method]: operation(tag, method, path, doc) };
    }
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Vibariant API',
      version: '0.1.0',
      description:
        '`/v1` is for the SDK (a public project token); `/auth` signs people in; `/api` manages projects, with a secret API key or a signed-in session (plus its CSRF token on changes). Errors are `{ error: { code, message, details } }`. Live updates go over Socket.IO, not described here.',
    },
    tags: Object.keys(ROUTES).map((name) => ({ name })),
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.values(ERRORS).map(([name, code, description]) => [
          name,
          {
            description,
            content: {
              'application/json': {
                schema: ref('Error'),
                example: { error: { code, message: description, details: {} } },
              },
            },
          },
        ]),
      ),
      securitySchemes: {
        projectToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A public project token, `vv_proj_…`. Also accepted in the `token` query parameter or body field (sendBeacon).',
        },
        projectTokenHeader: { type: 'apiKey', in: 'header', name: 'X-Vibariant-Token' },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A secret API key, `vv_sk_…`: acts as an owner of its project.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: ACCESS_COOKIE,
          description: 'The session of a signed-in user (set by signing in).',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: CSRF_HEADER,
          description: `The session's CSRF token (cookie \`${CSRF_COOKIE}\`), required with a session on POST, PUT, PATCH and DELETE.`,
        },
        refreshSession: { type: 'apiKey', in: 'cookie', name: REFRESH_COOKIE },
      },
    },
  };
}

/** `GET /api/openapi.json`: the document, public (mount it before the `/api` credentials). */
export function openApiRouter(): Router {
  const document = openApiDocument();
  const routes = router();
  routes.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  return routes;
}
