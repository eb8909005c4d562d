import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CollectorError, errorKind, isCollectorError, isRetriable, SDK_VERSION } from './index.js';

describe('collector SDK', () => {
  it('has one version: the package vendors install says the same as the constant plugins are branded with', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../packages/collector-sdk/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(pkg.version).toBe(SDK_VERSION);
  });

  it('tells retriable failures from permanent ones, also for errors from another copy of the SDK', () => {
    expect(new CollectorError('busy', 'port locked').retriable).toBe(true);
    expect(new CollectorError('misconfigured', 'no such address').retriable).toBe(false);
    // What a worker thread or another SDK copy makes: the same shape, another class.
    const foreign = Object.assign(new Error('unsupported function'), { name: 'CollectorError', kind: 'unsupported' });
    expect(isCollectorError(foreign)).toBe(true);
    expect(errorKind(foreign)).toBe('unsupported');
    expect(isRetriable(foreign)).toBe(false);
    // Anything else is what a throw always meant: the device is unreachable, try again later.
    expect(errorKind(new Error('ECONNREFUSED'))).toBe('unreachable');
    expect(isRetriable('a string')).toBe(true);
    expect(isCollectorError({ name: 'CollectorError', kind: 'weird' })).toBe(false);
  });
});
