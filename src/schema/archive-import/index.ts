// Batch import of the archive: customers, meter boxes and meters, with a report per row.
import { ArchiveImportResolver } from './archive-import.resolver.js';

export const resolvers = [ArchiveImportResolver] as const;
