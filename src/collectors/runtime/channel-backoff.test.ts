import { describe, expect, it } from 'vitest';
import { ChannelBackoff } from './channel-backoff.js';

describe('per-channel reconnect backoff', () => {
  it('leaves a channel alone after repeated failures, for doubling pauses, until one success', () => {
    const backoff = new ChannelBackoff({ threshold: 3, baseMs: 1000, capMs: 8000, random: () => 0.5 });
    const t0 = 1_000_000;
    backoff.failed('c1', t0);
    backoff.failed('c1', t0);
    expect(backoff.blocked('c1', t0)).toBeUndefined();
    backoff.failed('c1', t0);
    expect(backoff.blocked('c1', t0 + 999)).toMatch(
      /^channel backing off after 3 failed connections, next attempt at /,
    );
    expect(backoff.blocked('c1', t0 + 1000)).toBeUndefined();
    expect(backoff.blocked('c2', t0)).toBeUndefined();
    // The attempt after the pause fails too: the next pause is twice as long, up to the cap.
    backoff.failed('c1', t0 + 1000);
    expect(backoff.blocked('c1', t0 + 2999)).toBeDefined();
    expect(backoff.blocked('c1', t0 + 3000)).toBeUndefined();
    for (let i = 0; i < 10; i++) backoff.failed('c1', t0);
    expect(backoff.blocked('c1', t0 + 8000)).toBeUndefined();
    backoff.succeeded('c1');
    backoff.failed('c1', t0);
    expect(backoff.blocked('c1', t0)).toBeUndefined();
  });
});
