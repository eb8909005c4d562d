import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedMutex', () => {
  it('runs tasks of one key one at a time, in order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const order: string[] = [];
    let bothLines = false;
    const task = (key: string, name: string) =>
      mutex.run(key, async () => {
        active.set(key, (active.get(key) ?? 0) + 1);
        peak.set(key, Math.max(peak.get(key) ?? 0, active.get(key)!));
        bothLines ||= (active.get('line-1') ?? 0) > 0 && (active.get('line-2') ?? 0) > 0;
        await sleep(20);
        order.push(name);
        active.set(key, active.get(key)! - 1);
      });
    await Promise.all([
      task('line-1', 'a'),
      task('line-1', 'b'),
      task('line-1', 'c'),
      task('line-2', 'x'),
      task('line-2', 'y'),
    ]);
    expect(peak.get('line-1')).toBe(1);
    expect(peak.get('line-2')).toBe(1);
    expect(order.filter((n) => 'abc'.includes(n))).toEqual(['a', 'b', 'c']);
    // line-2 ran next to line-1 (observed, not timed: a busy machine must not fail this).
    expect(bothLines).toBe(true);
  });

  it('releases the key when a task fails', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await mutex.run('k', async () => 'next')).toBe('next');
  });
});

describe('KeyedMutex priority', () => {
  it('lets an urgent task go before those already waiting, after the one running', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const task = (name: string) => async () => {
      await sleep(10);
      order.push(name);
    };
    const running = mutex.run('line', task('running'));
    const queued = [mutex.run('line', task('a')), mutex.run('line', task('b'))];
    const urgent = mutex.run('line', task('urgent'), { urgent: true });
    await Promise.all([running, ...queued, urgent]);
    expect(order).toEqual(['running', 'urgent', 'a', 'b']);
  });
});
