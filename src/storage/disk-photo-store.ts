import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkStorageKey, type PhotoStore } from './photo-store.js';

/**
 * Photos as files under one folder (PHOTO_DIR), by key. A photo is written to a temporary name and
 * renamed into place, so that a reader never sees half a file and a crash leaves no photo behind
 * under its key.
 */
export class DiskPhotoStore implements PhotoStore {
  readonly kind = 'disk';

  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, ...checkStorageKey(key).split('/'));
  }

  // The type is known from the key's extension; files need no metadata.
  async put(key: string, body: Buffer, _contentType?: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      await writeFile(temporary, body, { flag: 'wx', mode: 0o640 });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
