import { createServer } from 'node:http';
import { join } from 'node:path';
import { createApp } from './app.js';
import { createServices } from './composition-root.js';
import { loadConfig } from './config.js';
import { migrate, openDatabase } from './db/database.js';
import { createMailer } from './features/accounts/mailer.js';
import { loadSessionSecret } from './features/accounts/session-tokens.js';
import { ensureFirstProject } from './features/projects/first-project.js';
import { createLogger } from './logger.js';
import { attachRealtime } from './realtime/realtime-server.js';

/** The only file that listens: configuration, database, migrations, services, HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
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
  });
  const first = await ensureFirstProject(services.projects);
  if (first) {
    logger.info(
      first,
      'created a first project: put projectToken in your app; apiKey (secret) is shown only now',
    );
  }
  const server = createServer(createApp(services, config));
  const realtime = attachRealtime(server, services, { redisUrl: config.redisUrl });
  // A client that sends its body too slowly loses the connection after 30 s, not 5 minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.listen(config.port, config.host, () => {
    logger.info({ url: `http://${config.host}:${config.port}` }, 'vibariant server listening');
  });

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await realtime.close();
    await services.stop();
    await services.decisions.whenIdle();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`vibariant: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
