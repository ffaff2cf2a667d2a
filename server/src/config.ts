import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

const environmentSchema = z.object({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().min(1).optional(),
  VIBARIANT_DATA_DIR: z.string().min(1).default('./.vibariant/data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Requests per minute on /v1, per project token and per client IP. */
  RATE_LIMIT_PER_TOKEN: positiveInt.default(1200),
  RATE_LIMIT_PER_IP: positiveInt.default(600),
  /** Express `trust proxy` setting: hops of reverse proxies in front of the server. */
  TRUST_PROXY: z.coerce.number().int().min(0).default(0),
});

/** The server's configuration, parsed from the environment. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Set: PostgreSQL through pg. Unset: the embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly rateLimitPerToken: number;
  readonly rateLimitPerIp: number;
  readonly trustProxy: number;
}

/**
 * Reads the configuration from environment variables (see the README's table).
 * @throws Error naming each invalid variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    // Relative to where `npm` was run (npm sets INIT_CWD), so `npm start` from the repository
    // root keeps its data in ./.vibariant/data there.
    dataDir: resolve(env.INIT_CWD ?? process.cwd(), e.VIBARIANT_DATA_DIR),
    logLevel: e.LOG_LEVEL,
    rateLimitPerToken: e.RATE_LIMIT_PER_TOKEN,
    rateLimitPerIp: e.RATE_LIMIT_PER_IP,
    trustProxy: e.TRUST_PROXY,
  };
}
