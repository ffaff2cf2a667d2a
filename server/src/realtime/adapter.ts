import { createAdapter as postgresAdapter } from '@socket.io/postgres-adapter';
import { createAdapter as redisAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { Database } from '../db/database.js';

/** Longest wait for the adapter's connections to close at shutdown, in milliseconds. */
const ADAPTER_CLOSE_TIMEOUT_MS = 5_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * The PostgreSQL adapter keeps one client checked out for LISTEN, gives it no error listener
 * and, when its connection ends (PostgreSQL restarted), takes another without releasing the
 * dead one. So that an outage neither ends the process (an unhandled 'error') nor leaks the
 * client (the pool fills up, broadcasts wait forever, and `pool.end()` never resolves): every
 * client's errors are logged, and a client still checked out a second after its connection
 * ended, which nobody will release any more, is released and removed from the pool.
 */
export function releaseDeadClients(pool: pg.Pool, onError: (error: Error) => void): void {
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    client.on('error', onError);
    client.once('end', () => {
      // Queries in flight on it release it themselves, at once; the LISTEN client never does.
      setTimeout(() => {
        if (!checkedOut.has(client)) return;
        checkedOut.delete(client);
        client.release(new Error('connection ended'));
      }, 1_000).unref();
    });
  });
}

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
    releaseDeadClients(pool, onError);
    io.adapter(postgresAdapter(pool, { errorHandler: onError }));
    return () => settleWithin(pool.end(), ADAPTER_CLOSE_TIMEOUT_MS);
  }
  return async () => {};
}
