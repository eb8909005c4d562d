import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.js';

describe('lockDataDir', () => {
  it('refuses a second holder while the first one lives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-lock-'));
    // pid 1 is always alive: stands for another running server.
    writeFileSync(join(dir, 'LOCK'), '1');
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ owner: 1 }));
  });

  it('takes over a stale lock and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-lock-'));
    writeFileSync(join(dir, 'LOCK'), '999999999');
    const release = lockDataDir(dir);
    release();
    lockDataDir(dir)();
  });
});
