// Structured JSON logs (pino), one object per line on stdout. Fields that
// could carry secrets are redacted by name as a second line of defence; code
// never passes secret values to the logger in the first place.
import { pino } from 'pino';
import type { Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** File descriptor or path; default stdout. */
  destination?: number | string;
  /** Fields added to every line (e.g. replica id). */
  base?: Record<string, string>;
}

export const REDACTED_FIELDS = [
  'password',
  'credential',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.credential',
  '*.token',
  '*.secret',
  '*.authorization',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'poolform', pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_FIELDS, censor: '(sensitive)' },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: options.destination ?? 1, sync: true }),
  );
}
