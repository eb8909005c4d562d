import { describe, expect, it } from 'vitest';
import {
  BackupError,
  checkSchema,
  countDifferences,
  FORMAT_VERSION,
  parseManifest,
  type Manifest,
} from './manifest.js';

const manifest: Manifest = {
  format: 'metergraph-backup',
  formatVersion: FORMAT_VERSION,
  kind: 'postgresql',
  createdAt: '2026-11-26T19:00:00.000Z',
  appVersion: '0.1.0',
  postgres: { version: '15.20', major: 15 },
  database: 'metergraph',
  pgDump: { version: '15.20', major: 15 },
  migrations: ['M1', 'M2'],
  tables: { reading: 10, meter: 2 },
  files: [{ name: 'database.pgdump', bytes: 100, sha256: 'ab' }],
};
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('backup manifest', () => {
  it('reads a manifest and refuses one that is damaged or from a newer format', () => {
    expect(parseManifest(json(manifest))).toEqual(manifest);
    expect(() => parseManifest(Buffer.from('{"format":'))).toThrow(/not valid JSON/);
    expect(() => parseManifest(json({ hello: 1 }))).toThrow(/not a Metergraph backup manifest/);
    expect(() => parseManifest(json({ ...manifest, tables: undefined, kind: 'mysql' }))).toThrow(
      /manifest is damaged: kind, tables/,
    );
    expect(() => parseManifest(json({ format: 'metergraph-backup', formatVersion: FORMAT_VERSION + 1 }))).toThrow(
      /written by a newer Metergraph/,
    );
  });

  it('accepts an older schema, naming the migrations to apply, and refuses a newer one', () => {
    expect(checkSchema(manifest, ['M1', 'M2', 'M3'])).toEqual({ pending: ['M3'] });
    expect(checkSchema(manifest, ['M1', 'M2'])).toEqual({ pending: [] });
    expect(() => checkSchema({ ...manifest, migrations: ['M1', 'M2', 'M9'] }, ['M1', 'M2'])).toThrow(BackupError);
    expect(() => checkSchema({ ...manifest, migrations: ['M1', 'M2', 'M9'] }, ['M1', 'M2'])).toThrow(
      /newer than this Metergraph: it has migration M9/,
    );
  });

  it('names every table whose row count differs', () => {
    expect(countDifferences({ a: 1, b: 2 }, { a: 1, b: 2 })).toEqual([]);
    expect(countDifferences({ a: 1, b: 2 }, { a: 1, b: 3, c: 0 })).toEqual([
      'b: found 3, the backup says 2',
      'c: found 0, the backup says no table',
    ]);
    expect(countDifferences({ a: 1 }, {})).toEqual(['a: found no table, the backup says 1']);
  });
});
