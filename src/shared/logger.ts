import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { redactSealed } from './personal-data.js';

export type { Logger };

/**
 * An error as logged: database errors quote their SQL with its parameters, which for customers
 * include sealed personal data; that is cut out of every string of the serialised error.
 */
function serializeError(error: unknown): unknown {
  return scrub(error instanceof Error ? stdSerializers.err(error) : error, 0);
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSealed(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/**
 * JSON logs on stdout (or `destination`, for tests); secrets that may appear in objects we log
 * are redacted by path.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'metergraph' },
    serializers: { err: serializeError },
    redact: {
      paths: ['password', '*.password', 'input.password', 'authorization', 'headers.authorization', '*.refreshToken'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
