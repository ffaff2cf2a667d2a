import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/** How log lines look: JSON (for machines), or pretty (coloured lines for a person at a terminal). */
export type LogFormat = 'json' | 'pretty';

/**
 * The process logger (pino) on stdout: one JSON object per line, or, in the `pretty` format,
 * readable lines (pino-pretty, written synchronously so that nothing is lost at exit).
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options = { level, base: { service: 'vibariant' } };
  if (format === 'json') return pino(options);
  return pino(
    options,
    pretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' }),
  );
}
