/**
 * A serial line for tests: two pseudo-terminals joined by socat, so that what one end writes the
 * other reads, like two devices on one RS-485 pair. Needs the `socat` Debian package (.ci/run
 * installs it); without it the tests fail and say so, since skipping would hide the serial collectors.
 * `SOCAT` names another binary (or a missing one, to see that failure).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Path of one end (give it to the simulated meters). */
  a: string;
  /** Path of the other end (give it to the collector). */
  b: string;
  /** Stops socat; both ends then report a lost line. */
  stop(): Promise<void>;
}

const STARTUP_MS = 3000;

/**
 * Opens a new line. With `at` (the ends of a stopped pair), the new line comes back at the same
 * paths, like an adapter plugged in again.
 */
export async function openPtyPair(name = 'pty', at?: Pick<PtyPair, 'a' | 'b'>): Promise<PtyPair> {
  const base = join(tmpdir(), `metergraph-${name}-${process.pid}-${randomUUID().slice(0, 8)}`);
  const a = at?.a ?? `${base}-a`;
  const b = at?.b ?? `${base}-b`;
  const child = spawn(
    process.env.SOCAT ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    for (const link of [a, b]) rmSync(link, { force: true });
  };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`socat: ${why}\n${stderr.trim()}`));
    };
    const timer = setTimeout(() => fail(`no data transfer loop within ${STARTUP_MS} ms`), STARTUP_MS);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? 'not installed; the serial line tests need it (Debian: apt-get install socat)'
          : error.message,
      ),
    );
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? `code ${code}`})`));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      // Logged (with -d -d) once both pseudo-terminals and their links exist.
      if (!settled && stderr.includes('starting data transfer loop')) {
        settled = true;
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { a, b, stop };
}
