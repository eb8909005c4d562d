/**
 * A collector session on the host's serial lines, driven directly by a test: every call is the
 * session's turn on its lines (as the plugin host makes it), and `close` gives back whatever the
 * session left open. For tests that check a serial collector's session itself, below the host.
 */
import type { CollectorSession, SessionContext } from '../../src/collectors/sdk/index.js';
import { SerialLines } from '../../src/plugins/serial-lines.js';
import { createLogger } from '../../src/shared/logger.js';

/** One set of lines per test file, as one host has. */
export const testLines = (): SerialLines => new SerialLines(createLogger('silent'));

export function onLines<S extends CollectorSession<never>>(
  lines: SerialLines,
  ctx: SessionContext,
  create: (ctx: SessionContext) => S,
): S {
  const access = lines.session();
  const session = create({ ...ctx, serialLine: access.open });
  return new Proxy(session, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        name === 'close'
          ? access
              .during(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args))
              .finally(() => access.release())
          : access.during(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
