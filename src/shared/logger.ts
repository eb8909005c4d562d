import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; secrets that may appear in objects we log are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'metergraph' },
    redact: {
      paths: ['password', '*.password', 'input.password', 'authorization', 'headers.authorization', '*.refreshToken'],
      censor: '[redacted]',
    },
  });
}
