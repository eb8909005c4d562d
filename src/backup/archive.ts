import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A backup is one file: a plain tar (ustar) holding `manifest.json` first, then the database
 * files. Tar so that an operator can open a backup with `tar` alone (`tar -xOf FILE manifest.json`,
 * or `tar -xf FILE database.pgdump` for pg_restore) when this tool is not at hand. Only what
 * backups need is written or read: regular files, names up to 100 bytes, sizes past 8 GiB in
 * GNU's base-256 form (which GNU tar and bsdtar read).
 */
const BLOCK = 512;

export class ArchiveError extends Error {}

export type ArchiveInput = { name: string; data: Buffer } | { name: string; file: string };

export interface ArchiveEntry {
  name: string;
  size: number;
  /** Where the entry's bytes start in the archive. */
  offset: number;
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/** One entry's 512-byte header (exported for tests). */
export function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new ArchiveError(`entry name too long for tar: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, 0o600);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size < 8 ** 11) octal(h, 124, 12, size);
  else {
    // GNU base-256: high bit of the first byte set, the size big-endian in the rest.
    let rest = BigInt(size);
    for (let i = 124 + 11; i > 124; i--) {
      h[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    h[124] = 0x80;
  }
  octal(h, 136, 12, Math.floor(Date.now() / 1000));
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0' + '00', 257, 8, 'latin1');
  h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** Sum of the header's bytes with the checksum field counted as spaces. */
function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum;
}

/** The size field, octal or base-256 (exported for tests). */
export function parseSize(h: Buffer): number {
  if (h[124]! & 0x80) {
    let size = 0n;
    for (let i = 125; i < 136; i++) size = (size << 8n) | BigInt(h[i]!);
    return Number(size);
  }
  return Number.parseInt(h.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * Writes the archive to `path.partial` (created with mode 0600: backups hold personal data),
 * fsyncs it and renames it to `path`, so that `path` exists only once complete.
 */
export async function writeArchive(path: string, entries: ArchiveInput[]): Promise<number> {
  const partial = `${path}.partial`;
  const handle = await open(partial, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new ArchiveError(
      error.code === 'EEXIST'
        ? `${partial} exists: an earlier backup to this name was interrupted; delete it and try again`
        : `cannot create ${partial}: ${error.message}`,
    );
  });
  let written = 0;
  try {
    for (const entry of entries) {
      const size = 'data' in entry ? entry.data.length : (await stat(entry.file)).size;
      await handle.write(header(entry.name, size));
      if ('data' in entry) await handle.write(entry.data);
      else {
        let copied = 0;
        for await (const chunk of createReadStream(entry.file)) {
          copied += (chunk as Buffer).length;
          await handle.write(chunk as Buffer);
        }
        if (copied !== size) throw new ArchiveError(`${entry.file} changed while it was being archived`);
      }
      await handle.write(Buffer.alloc(padding(size)));
      written += BLOCK + size + padding(size);
    }
    await handle.write(Buffer.alloc(2 * BLOCK));
    written += 2 * BLOCK;
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, path);
  return written;
}

/** The entries of an archive, checking every header and that nothing is cut off. */
export async function listArchive(path: string): Promise<ArchiveEntry[]> {
  const handle = await open(path, 'r');
  try {
    const { size: total } = await handle.stat();
    const entries: ArchiveEntry[] = [];
    for (let position = 0; ;) {
      if (position + BLOCK > total) throw new ArchiveError('it ends early (truncated)');
      const h = Buffer.alloc(BLOCK);
      await handle.read(h, 0, BLOCK, position);
      if (h.every((b) => b === 0)) return entries;
      if (position === 0 && h.toString('latin1', 0, 5) === 'PGDMP') {
        throw new ArchiveError('it is a bare pg_dump archive, not a Metergraph backup: use pg_restore on it directly');
      }
      if (h.toString('latin1', 257, 262) !== 'ustar') {
        throw new ArchiveError(position === 0 ? 'it is not a Metergraph backup' : 'a tar header is damaged');
      }
      const stored = Number.parseInt(h.toString('ascii', 148, 156).replace(/\0.*$/s, '').trim(), 8);
      if (stored !== checksum(h)) throw new ArchiveError('a tar header is damaged (checksum mismatch)');
      const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const size = parseSize(h);
      const offset = position + BLOCK;
      if (offset + size > total) throw new ArchiveError(`it ends inside ${name} (truncated)`);
      entries.push({ name, size, offset });
      position = offset + size + padding(size);
    }
  } finally {
    await handle.close();
  }
}

export async function readEntry(path: string, entry: ArchiveEntry): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const data = Buffer.alloc(entry.size);
    await handle.read(data, 0, entry.size, entry.offset);
    return data;
  } finally {
    await handle.close();
  }
}

/** Copies an entry to a new file (mode 0600); returns the SHA-256 of its bytes. */
export async function copyEntry(path: string, entry: ArchiveEntry, target: string): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(target, { flags: 'wx', mode: 0o600 });
  if (entry.size === 0) {
    await new Promise<void>((resolve, reject) => out.on('error', reject).end(resolve));
    return hash.digest('hex');
  }
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(path, { start: entry.offset, end: entry.offset + entry.size - 1 }), tap, out);
  return hash.digest('hex');
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
