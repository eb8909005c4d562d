import type { PhotoConfig } from '../config/config.js';
import { DiskPhotoStore } from './disk-photo-store.js';
import type { PhotoStore } from './photo-store.js';
import { S3PhotoStore } from './s3-photo-store.js';

/** The store the configuration names: a folder on disk by default, or an S3-compatible bucket. */
export function createPhotoStore(config: PhotoConfig): PhotoStore {
  return config.store === 's3' && config.s3 ? new S3PhotoStore(config.s3) : new DiskPhotoStore(config.dir);
}
