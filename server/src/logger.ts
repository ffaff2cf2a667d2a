import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/** How log lines look: JSON (for machines), or pretty (coloured lines for a person at a terminal). */
export type LogFormat = 'json' | 'pretty';

/**
 * The process logger (pino) on stdout: one JSON object per line, or, in the `pretty` format,
 * readable lines (pino-pretty). Both write synchronously, so that nothing is lost at exit, and
 * a reader that goes away (a closed pipe) costs the lines, never the server: without a listener,
 * the stream's error would end the process, or a graceful shutdown half-way.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const destination: DestinationStream & NodeJS.EventEmitter =
    format === 'json'
      ? pino.destination({ dest: 1, sync: true })
      : pretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' });
  destination.on('error', () => {});
  return pino({ level, base: { service: 'vibariant' } }, destination);
}
