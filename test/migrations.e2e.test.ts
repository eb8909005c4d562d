import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrationsList } from '../migrations/index.js';
import { startTestServer } from './harness.js';

describe('migrations', () => {
  it('lists every migration file in migrations/index.ts', () => {
    const files = readdirSync(new URL('../migrations/', import.meta.url))
      .filter((f) => /^Migration\d+.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(migrationsList.map((m) => m.name).sort()).toEqual(files.sort());
  });

  it('leave no difference between the entities and the migrated database', async () => {
    const server = await startTestServer({ demo: false });
    try {
      const diff = await server.app.db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    } finally {
      await server.stop();
    }
  });
});
