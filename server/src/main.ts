import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createServices, type Services } from './composition-root.js';
import { type Config, loadConfig } from './config.js';
import { migrate, openDatabase } from './db/database.js';
import { createMailer } from './features/accounts/mailer.js';
import { loadSessionSecret } from './features/accounts/session-tokens.js';
import { ensureFirstProject } from './features/projects/first-project.js';
import { answerClientErrors } from './http/client-errors.js';
import { closeHttp, requestIds, trackRequests } from './http/graceful-close.js';
import { createLogger } from './logger.js';
import { attachRealtime } from './realtime/realtime-server.js';

/** The address the first owner's link is for when OWNER_EMAIL is unset and no mail goes out. */
const LOCAL_OWNER_EMAIL = 'owner@vibariant.localhost';

/** The only file that listens: configuration, database, migrations, services, HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, config.logFormat);
  const { db, applied } = await openAndMigrate(config, logger);
  logger.info(
    { driver: db.driver, dataDir: db.driver === 'pglite' ? config.dataDir : undefined, applied },
    'database ready',
  );
  const services = createServices({
    db,
    logger,
    accounts: {
      sessionSecret: loadSessionSecret(config.jwtSecret, join(config.dataDir, 'session-secret')),
      publicUrl: config.publicUrl,
      mailer: createMailer(config.smtpUrl, config.mailFrom, logger),
      github: config.github,
    },
    webhooks: { allowPrivateTargets: config.webhookAllowPrivateTargets },
    decisions: { allocationIntervalMs: config.banditIntervalMs },
  });
  const server = createServer(createApp(services, config));
  const realtime = attachRealtime(server, services, { redisUrl: config.redisUrl });
  // A client that sends its body too slowly loses the connection after 30 s, not 5 minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  const requests = trackRequests(server);
  answerClientErrors(server);
  await listen(server, config);
  // Only once listening: a start that fails (a port in use) must not show the new project's
  // secret key just before it exits, never to show it again.
  const first = await ensureFirstProject(services.projects);
  if (first) {
    logger.info(
      first,
      'created a first project: put projectToken in your app; apiKey (secret) is shown only now',
    );
  }
  logger.info({ url: config.publicUrl }, `Vibariant is running at ${config.publicUrl}`);
  await welcomeFirstOwner(services, config, logger);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, inFlight: requestIds(requests.inFlight) },
      'shutting down: finishing the requests in flight',
    );
    requests.drain();
    const httpClosed = closeHttp(server, config.shutdownTimeoutMs, () => {
      logger.warn(
        { cut: requestIds(requests.inFlight) },
        'shutdown timeout: cutting the requests left',
      );
    });
    await realtime.close();
    await httpClosed;
    await services.stop();
    await services.decisions.whenIdle();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * While nobody has signed in, gives the operator a way in: an owner's invitation to the first
 * project, printed when no mail server is configured (the terminal is the mailbox), mailed to
 * OWNER_EMAIL otherwise.
 */
async function welcomeFirstOwner(services: Services, config: Config, logger: Logger) {
  if (config.smtpUrl && !config.ownerEmail) {
    if (!(await services.accounts.hasUsers())) {
      logger.info(
        'nobody has signed in yet: set OWNER_EMAIL, or run `npm run vibariant -- invite --project <id> --email <you> --role owner`',
      );
    }
    return;
  }
  const invitation = await services.team.inviteFirstOwner(config.ownerEmail ?? LOCAL_OWNER_EMAIL);
  if (!invitation) return;
  if (config.smtpUrl) {
    logger.info({ email: invitation.email }, 'sent the first owner an invitation');
  } else {
    logger.info(
      { signInLink: invitation.link, email: invitation.email, expiresAt: invitation.expiresAt },
      `Sign in as the first owner (${invitation.email}): open ${invitation.link}`,
    );
  }
}

/**
 * Opens the configured database and applies pending migrations.
 * @throws Error naming DATABASE_URL when PostgreSQL cannot be reached or refuses the connection.
 */
async function openAndMigrate(config: Config, logger: Logger) {
  try {
    const db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
    });
    return { db, applied: await migrate(db.knex) };
  } catch (error) {
    if (!config.databaseUrl) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot use the database at DATABASE_URL: ${reason}`);
  }
}

/**
 * Starts listening on HOST:PORT.
 * @throws Error naming HOST and PORT when the address is taken or not this machine's.
 */
function listen(server: Server, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
      reject(new Error(`cannot listen on HOST ${config.host}, PORT ${config.port}: ${why}`));
    });
    server.listen(config.port, config.host, () => resolve());
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`vibariant: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
