import { type Logger, pino } from 'pino';

/** The process logger: JSON lines on stdout (pino). */
export const createLogger = (level: string): Logger =>
  pino({ level, base: { service: 'vibariant' } });
