import { randomUUID } from 'node:crypto';

/**
 * Where photo bytes are kept. Small on purpose: a photo is written once, read whole (at most
 * PHOTO_MAX_BYTES) and deleted only when its upload fails after the bytes were written.
 */
export interface PhotoStore {
  readonly kind: 'disk' | 's3';
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The bytes, or null when the store has no object under `key`. */
  get(key: string): Promise<Buffer | null>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
}

/** Keys the server makes: year/month/uuid.ext. Anything else never reaches a store. */
export const STORAGE_KEY =
  /^\d{4}\/\d{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(jpg|png|webp)$/;

/** A new storage key for a photo received at `now`. */
export function newStorageKey(extension: string, now = new Date()): string {
  const month = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `${now.getUTCFullYear()}/${month}/${randomUUID()}.${extension}`;
}

export function checkStorageKey(key: string): string {
  if (!STORAGE_KEY.test(key)) throw new Error(`not a photo storage key: ${JSON.stringify(key)}`);
  return key;
}
