import { destination, pino, type Logger } from 'pino';

/** Structured logs on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level }, destination(2));
}
