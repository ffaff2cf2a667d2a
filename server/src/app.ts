import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Services } from './composition-root.js';
import { authRouter } from './features/accounts/auth-router.js';
import { assignmentRouter } from './features/assignment/assignment-router.js';
import { ingestionRouter } from './features/ingestion/ingestion-router.js';
import { apiDocs } from './http/api-docs.js';
import { requireCaller, requireProjectToken, resolveProjectAccess } from './http/auth.js';
import { requireContentType } from './http/content-type.js';
import { dashboard } from './http/dashboard.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { healthRouter } from './http/health.js';
import { managementRouter } from './http/management-router.js';
import { countBatches, metricsEndpoint } from './http/metrics.js';
import { openApiRouter } from './http/openapi.js';
import { requestLog } from './http/request-log.js';
import { sdkScript } from './http/sdk-script.js';
import { rejectUnstorableText, requireUtf8Body } from './http/storable-text.js';
import { limitPerIp, limitPerProject, requireAllowedOrigin, sdkCors } from './http/v1-guards.js';

export interface AppOptions {
  /** Requests per minute per project token on /v1. */
  readonly rateLimitPerToken: number;
  /** Requests per minute per client IP on /v1. */
  readonly rateLimitPerIp: number;
  /** Express `trust proxy`: reverse-proxy hops in front of the server. */
  readonly trustProxy: number;
  /**
   * Where people reach the server; over `https:` responses ask browsers to stay on HTTPS (HSTS,
   * upgrade-insecure-requests), which over plain HTTP would break the pages.
   */
  readonly publicUrl?: string;
  /** Sign-in links per hour per client IP, and per email address. */
  readonly signInLinksPerIp: number;
  readonly signInLinksPerAddress: number;
  /** The built dashboard (default: `client/dist` of this repository). */
  readonly dashboardDir?: string | undefined;
}

/** Largest request body, in bytes. */
export const MAX_BODY_BYTES = 1_048_576;

/**
 * The HTTP app: `/v1` for the SDK (project token), `/auth` for signing in, `/api` for
 * management (a session or an API key).
 */
export function createApp(services: Services, options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  const https = options.publicUrl?.startsWith('https:') === true;
  app.use(
    helmet({
      strictTransportSecurity: https,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } },
      // Not helmet's no-referrer: with it, browsers send `Origin: null` on the sign-in form's
      // post, which the same-origin check must refuse.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  app.use(requestLog(services.logger));

  app.use(healthRouter(services.db));
  app.get('/metrics', metricsEndpoint(services.metrics));

  app.get('/vibariant.global.js', sdkScript());

  // sendBeacon posts text/plain (no CORS preflight): it is parsed as JSON like application/json.
  const sdkTypes = ['application/json', 'text/plain'];
  const json = express.json({ limit: MAX_BODY_BYTES, type: sdkTypes, verify: requireUtf8Body });

  const v1 = express.Router();
  v1.use('/events', countBatches(services.metrics));
  v1.use(sdkCors);
  v1.use(limitPerIp(options.rateLimitPerIp));
  v1.use(requireContentType(sdkTypes), json);
  v1.use(requireProjectToken(services.projects));
  v1.use(requireAllowedOrigin);
  v1.use(limitPerProject(options.rateLimitPerToken));
  v1.use(ingestionRouter(services.ingestion, services.metrics));
  v1.use(rejectUnstorableText, assignmentRouter(services.assignment));
  app.use('/v1', v1);

  app.use(cookieParser());
  app.use(
    authRouter(services.accounts, {
      github: services.github,
      linksPerIpPerHour: options.signInLinksPerIp,
      linksPerAddressPerHour: options.signInLinksPerAddress,
    }),
  );

  // The API reference is public.
  app.use(openApiRouter(), apiDocs());
  app.use(
    '/api',
    requireContentType(['application/json']),
    express.json({ limit: MAX_BODY_BYTES, verify: requireUtf8Body }),
    rejectUnstorableText,
    requireCaller(services.projects, services.accounts),
  );
  app.use('/api/projects/:projectId', resolveProjectAccess(services.accounts));
  app.use('/api', managementRouter(services));

  app.use(dashboard(options.dashboardDir));
  app.use(notFoundHandler);
  app.use(errorHandler(services.logger));
  return app;
}
