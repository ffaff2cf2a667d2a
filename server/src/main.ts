import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createServices, type Services } from './composition-root.js';
import { type Config, loadConfig } from './config.js';
import { migrate, openDatabase } from './db/database.js';
import { createMailer } from './features/accounts/mailer.js';
import { loadSessionSecret } from './features/accounts/session-tokens.js';
import { ensureFirstProject } from './features/projects/first-project.js';
import { closeHttp, requestIds, trackRequests } from './http/graceful-close.js';
import { createLogger } from './logger.js';
import { attachRealtime } from './realtime/realtime-server.js';

/** The address the first owner's link is for when OWNER_EMAIL is unset and no mail goes out. */
const LOCAL_OWNER_EMAIL = 'owner@vibariant.localhost';

/** The only file that listens: configuration, database, migrations, services, HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, config.logFormat);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(db.knex);
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
  const first = await ensureFirstProject(services.projects);
  if (first) {
    logger.info(
      first,
      'created a first project: put projectToken in your app; apiKey (secret) is shown only now',
    );
  }
  const welcome = await welcomeFirstOwner(services, config, logger);

  const server = createServer(createApp(services, config));
  const realtime = attachRealtime(server, services, { redisUrl: config.redisUrl });
  // A client that sends its body too slowly loses the connection after 30 s, not 5 minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  const requests = trackRequests(server);
  server.listen(config.port, config.host, () => {
    logger.info({ url: config.publicUrl }, `Vibariant is running at ${config.publicUrl}`);
    welcome?.();
  });

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
 * @returns what to log once the server listens: the link, when it is printed.
 */
async function welcomeFirstOwner(
  services: Services,
  config: Config,
  logger: Logger,
): Promise<(() => void) | undefined> {
  if (config.smtpUrl && !config.ownerEmail) {
    if (!(await services.accounts.hasUsers())) {
      logger.info(
        'nobody has signed in yet: set OWNER_EMAIL, or run `npm run vibariant -- invite --project <id> --email <you> --role owner`',
      );
    }
    return undefined;
  }
  const invitation = await services.team.inviteFirstOwner(config.ownerEmail ?? LOCAL_OWNER_EMAIL);
  if (!invitation) return undefined;
  if (config.smtpUrl) {
    logger.info({ email: invitation.email }, 'sent the first owner an invitation');
    return undefined;
  }
  return () =>
    logger.info(
      { signInLink: invitation.link, email: invitation.email, expiresAt: invitation.expiresAt },
      `Sign in as the first owner (${invitation.email}): open ${invitation.link}`,
    );
}

main().catch((error: unknown) => {
  process.stderr.write(`vibariant: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
