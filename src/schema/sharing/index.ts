// Sharing grants: a subtree shared read-only, until a date, with another unit or a user.
import { SharingGrantResolver } from './sharing.resolver.js';

export const resolvers = [SharingGrantResolver] as const;

export { readableGrants } from './sharing.service.js';
