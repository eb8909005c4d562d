import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveError, copyEntry, header, listArchive, parseSize, readEntry, sha256, writeArchive } from './archive.js';

const dir = () => mkdtempSync(join(tmpdir(), 'mg-archive-'));

describe('backup archive', () => {
  it('writes a tar that tar itself reads, with mode 0600, and reads it back', async () => {
    const d = dir();
    const big = Buffer.alloc(70_001, 3);
    writeFileSync(join(d, 'payload'), big);
    const file = join(d, 'b.tar');
    await writeArchive(file, [
      { name: 'manifest.json', data: Buffer.from('{"a":1}') },
      { name: 'database.pgdump', file: join(d, 'payload') },
      { name: 'ingest-journal/0000000001.jsonl', data: Buffer.alloc(0) },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual([
      'manifest.json',
      'database.pgdump',
      'ingest-journal/0000000001.jsonl',
    ]);
    expect(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })).toBe('{"a":1}');

    const entries = await listArchive(file);
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['manifest.json', 7],
      ['database.pgdump', 70_001],
      ['ingest-journal/0000000001.jsonl', 0],
    ]);
    expect((await readEntry(file, entries[0]!)).toString()).toBe('{"a":1}');
    expect(await copyEntry(file, entries[1]!, join(d, 'copy'))).toBe(sha256(big));
    expect(readFileSync(join(d, 'copy')).equals(big)).toBe(true);
    expect(statSync(join(d, 'copy')).mode & 0o777).toBe(0o600);
    expect(await copyEntry(file, entries[2]!, join(d, 'empty'))).toBe(sha256(Buffer.alloc(0)));
  });

  it('writes sizes of 8 GiB and more in base-256', () => {
    expect(parseSize(header('x', 8 ** 11 - 1))).toBe(8 ** 11 - 1);
    const h = header('x', 20 * 2 ** 30);
    expect(h[124]).toBe(0x80);
    expect(parseSize(h)).toBe(20 * 2 ** 30);
  });

  it('says what is wrong with a file that is not a whole backup', async () => {
    const d = dir();
    const file = join(d, 'b.tar');
    await writeArchive(file, [{ name: 'manifest.json', data: Buffer.from('{}') }]);
    const bytes = readFileSync(file);

    const cases: [string, Buffer, RegExp][] = [
      ['truncated', bytes.subarray(0, 600), /ends early \(truncated\)/],
      ['cut inside', bytes.subarray(0, 513), /ends inside manifest.json/],
      ['pg_dump', Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(2000)]), /bare pg_dump archive/],
      ['other', Buffer.alloc(2048, 65), /not a Metergraph backup/],
    ];
    const damaged = Buffer.from(bytes);
    damaged[10] ^= 1; // in the name: the header checksum no longer matches
    cases.push(['damaged', damaged, /checksum mismatch/]);
    for (const [name, content, message] of cases) {
      writeFileSync(join(d, name), content);
      await expect(listArchive(join(d, name))).rejects.toThrow(ArchiveError);
      await expect(listArchive(join(d, name))).rejects.toThrow(message);
    }
  });

  it('never leaves a partial file under the final name', async () => {
    const d = dir();
    const file = join(d, 'b.tar');
    await expect(writeArchive(file, [{ name: 'x', file: join(d, 'missing') }])).rejects.toThrow();
    expect(() => statSync(file)).toThrow();
    expect(() => statSync(`${file}.partial`)).toThrow();
    writeFileSync(`${file}.partial`, '');
    await expect(writeArchive(file, [{ name: 'x', data: Buffer.alloc(1) }])).rejects.toThrow(/was interrupted/);
  });
});
