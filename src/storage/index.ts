// Adapters to stores outside the database (photos on disk or in an S3-compatible bucket). The API
// and the server use this face; which adapter runs is the configuration's choice.
export { createPhotoStore } from './create-photo-store.js';
export { newStorageKey, type PhotoStore } from './photo-store.js';
