import { createServer } from 'node:http';
import { createApp } from './app.js';
import { createServices } from './composition-root.js';
import { loadConfig } from './config.js';
import { migrate, openDatabase } from './db/database.js';
import { createLogger } from './logger.js';

/** The only file that listens: configuration, database, migrations, services, HTTP. */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const applied = await migrate(db.knex);
logger.info({ driver: db.driver, applied }, 'database ready');
const services = createServices({ db, logger });
const server = createServer(createApp(services, config));
server.listen(config.port, config.host, () => {
  logger.info({ url: `http://${config.host}:${config.port}` }, 'vibariant server listening');
});

async function shutdown(signal: string) {
  logger.info({ signal }, 'shutting down');
  server.close();
  services.stop();
  await services.decisions.whenIdle();
  await db.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
