import { retryDelayMs } from './slots.js';

export interface BackoffOptions {
  /** Consecutive failures to reach the channel before it is left alone for a while. */
  threshold: number;
  baseMs: number;
  capMs: number;
  random?: () => number;
}

/**
 * Per-channel reconnect backoff. When a gateway or line is down, every meter behind it fails the
 * same way, each after a full timeout: after `threshold` consecutive failures the channel is left
 * alone for a pause that doubles with each further failed attempt (with jitter), and its meters
 * fail at once with the reason. One success (a meter answered) resets it. A meter that is silent
 * behind a working gateway gives bad values, not failures, and does not count.
 */
export class ChannelBackoff {
  private readonly state = new Map<string, { failures: number; until: number }>();

  constructor(private readonly options: BackoffOptions) {}

  /** Why the channel is not to be tried now, or undefined when it may be. */
  blocked(key: string, now = Date.now()): string | undefined {
    const s = this.state.get(key);
    if (!s || s.until <= now) return undefined;
    return `channel backing off after ${s.failures} failed connections, next attempt at ${new Date(s.until).toISOString()}`;
  }

  failed(key: string, now = Date.now()): void {
    const s = this.state.get(key) ?? { failures: 0, until: 0 };
    s.failures++;
    if (s.failures >= this.options.threshold)
      s.until =
        now +
        retryDelayMs(
          s.failures - this.options.threshold + 1,
          this.options.baseMs,
          this.options.capMs,
          this.options.random,
        );
    this.state.set(key, s);
  }

  succeeded(key: string): void {
    this.state.delete(key);
  }
}
