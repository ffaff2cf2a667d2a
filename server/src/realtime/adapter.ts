import { createAdapter as postgresAdapter } from '@socket.io/postgres-adapter';
import { createAdapter as redisAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { Database } from '../db/database.js';

/**
 * Connects Socket.IO to the other servers sharing the database, so that a broadcast from one
 * reaches clients of all: through Redis when `redisUrl` is set, else through PostgreSQL
 * (LISTEN/NOTIFY, `@socket.io/postgres-adapter`); on the embedded database, one process holds
 * it, and the default in-memory adapter stays. Returns how to disconnect.
 */
export function connectAdapter(
  // biome-ignore lint/suspicious/noExplicitAny: any Socket.IO server, whatever its event types
  io: Server<any, any, any, any>,
  db: Database,
  redisUrl: string | undefined,
  logger: Logger,
): () => Promise<void> {
  const onError = (error: Error) => logger.warn({ err: error }, 'Socket.IO adapter error');
  if (redisUrl) {
    const pub = new Redis(redisUrl, { lazyConnect: false });
    const sub = pub.duplicate();
    pub.on('error', onError);
    sub.on('error', onError);
    io.adapter(redisAdapter(pub, sub));
    return async () => {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    };
  }
  if (db.driver === 'pg' && db.url) {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', onError);
    io.adapter(postgresAdapter(pool, { errorHandler: onError }));
    return () => pool.end();
  }
  return async () => {};
}
