import { describe, expect, it } from 'vitest';
import { LiveSubscriptions } from './live-subscriptions.js';

describe('LiveSubscriptions', () => {
  it('counts operations by id, the same id on two connections twice', () => {
    const live = new LiveSubscriptions();
    live.started('a');
    live.started('a');
    live.started('b');
    expect([live.size, live.has('a'), live.has('b')]).toEqual([3, true, true]);
    live.ended('a');
    expect([live.size, live.has('a')]).toEqual([2, true]);
    live.ended('a');
    live.ended('a'); // already ended: no effect
    expect([live.size, live.has('a'), live.has('b')]).toEqual([1, false, true]);
  });
});
