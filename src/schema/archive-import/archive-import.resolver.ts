import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../common/index.js';
import { ImportArchiveInput, ImportArchivePayload } from './archive-import.type.js';
import { importArchive } from './archive-import.service.js';

@Resolver()
export class ArchiveImportResolver {
  @Mutation(() => ImportArchivePayload, {
    description:
      'Batch create or update customers, meter boxes and meters (up to 5000 rows), with a per-row error report.',
  })
  importArchive(@Ctx() ctx: Context, @Arg('input', () => ImportArchiveInput) input: ImportArchiveInput) {
    return importArchive(ctx, input);
  }
}
