import { resolve } from 'node:path';
import { z } from 'zod';
import type { GitHubSettings } from './features/accounts/github-oauth.js';
import type { LogFormat } from './logger.js';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

const environmentSchema = z.object({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional(),
  VIBARIANT_DATA_DIR: z.string().min(1).default('./.vibariant/data'),
  /** The built dashboard; unset: `client/dist` of this repository. */
  VIBARIANT_DASHBOARD_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object per line) or `pretty`; unset: pretty on a terminal, else JSON. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Who gets the first sign-in link (owner of the first project) while nobody has signed in. */
  OWNER_EMAIL: z.email().optional(),
  /** How long a shutdown waits for requests in flight, in milliseconds. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Requests per minute on /v1, per project token and per client IP. */
  RATE_LIMIT_PER_TOKEN: positiveInt.default(1200),
  RATE_LIMIT_PER_IP: positiveInt.default(600),
  /** Express `trust proxy` setting: hops of reverse proxies in front of the server. */
  TRUST_PROXY: z.coerce.number().int().min(0).default(0),
  /** Signs sessions; unset: generated once and kept in the data directory. */
  JWT_SECRET: z.string().min(32).optional(),
  /** Where people reach the dashboard, for links in emails. */
  PUBLIC_URL: z.url().optional(),
  /** Outgoing mail (nodemailer URL); unset: sign-in links are written to the log. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().min(3).default('Vibariant <no-reply@localhost>'),
  /** Whether webhooks may point at this machine or private networks. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
  /** Redis for Socket.IO between several servers; unset: PostgreSQL's, or in memory on PGlite. */
  REDIS_URL: z.string().min(1).optional(),
  /** GitHub sign-in (an OAuth app); both unset: not offered. */
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_AUTHORIZE_URL: z.url().default('https://github.com/login/oauth/authorize'),
  GITHUB_TOKEN_URL: z.url().default('https://github.com/login/oauth/access_token'),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** Sign-in links per hour, per client IP and per email address. */
  SIGN_IN_LINKS_PER_IP: positiveInt.default(20),
  SIGN_IN_LINKS_PER_ADDRESS: positiveInt.default(5),
  /** Least time between two moves of a bandit's allocation, in seconds. */
  BANDIT_INTERVAL_SECONDS: positiveInt.default(60),
});

/** The server's configuration, parsed from the environment. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Set: PostgreSQL through pg. Unset: the embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dashboardDir: string | undefined;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  /** Unset: the first owner's link is for `owner@vibariant.localhost` (printed, not mailed). */
  readonly ownerEmail: string | undefined;
  readonly shutdownTimeoutMs: number;
  readonly rateLimitPerToken: number;
  readonly rateLimitPerIp: number;
  readonly trustProxy: number;
  readonly jwtSecret: string | undefined;
  /** No trailing slash. */
  readonly publicUrl: string;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly signInLinksPerIp: number;
  readonly signInLinksPerAddress: number;
  readonly github: GitHubSettings | undefined;
  readonly redisUrl: string | undefined;
  readonly webhookAllowPrivateTargets: boolean;
  /** Least time between two moves of a bandit's allocation, in milliseconds. */
  readonly banditIntervalMs: number;
}

/** Every variable the server reads, with its default (undefined: none). */
export const CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = (() => {
  const defaults: Record<string, unknown> = environmentSchema.parse({});
  return Object.fromEntries(Object.keys(environmentSchema.shape).map((n) => [n, defaults[n]]));
})();

/**
 * Reads the configuration from environment variables (see the README's table). An empty
 * variable counts as unset (as Docker Compose passes `NAME=` for an unset `${NAME:-}`).
 * @throws Error naming each invalid variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if ((e.GITHUB_CLIENT_ID === undefined) !== (e.GITHUB_CLIENT_SECRET === undefined)) {
    throw new Error(
      'Invalid configuration: GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET: set both, or neither',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    // Relative to where `npm` was run (npm sets INIT_CWD), so `npm start` from the repository
    // root keeps its data in ./.vibariant/data there.
    dataDir: resolve(env.INIT_CWD ?? process.cwd(), e.VIBARIANT_DATA_DIR),
    dashboardDir:
      e.VIBARIANT_DASHBOARD_DIR &&
      resolve(env.INIT_CWD ?? process.cwd(), e.VIBARIANT_DASHBOARD_DIR),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    ownerEmail: e.OWNER_EMAIL?.toLowerCase(),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    rateLimitPerToken: e.RATE_LIMIT_PER_TOKEN,
    rateLimitPerIp: e.RATE_LIMIT_PER_IP,
    trustProxy: e.TRUST_PROXY,
    jwtSecret: e.JWT_SECRET,
    publicUrl: (
      e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`
    ).replace(/\/+$/, ''),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    signInLinksPerIp: e.SIGN_IN_LINKS_PER_IP,
    signInLinksPerAddress: e.SIGN_IN_LINKS_PER_ADDRESS,
    redisUrl: e.REDIS_URL,
    webhookAllowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
    banditIntervalMs: e.BANDIT_INTERVAL_SECONDS * 1000,
    github:
      e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
        ? {
            clientId: e.GITHUB_CLIENT_ID,
            clientSecret: e.GITHUB_CLIENT_SECRET,
            authorizeUrl: e.GITHUB_AUTHORIZE_URL,
            tokenUrl: e.GITHUB_TOKEN_URL,
            apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
          }
        : undefined,
  };
}
