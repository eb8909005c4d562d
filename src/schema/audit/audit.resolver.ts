import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import type { AuditRecord } from '../../orm/entities/index.js';
import { type Context, PageArgs } from '../common/index.js';
import { AuditLogFilter, AuditRecordConnection, AuditRecordType, AuditVerification } from './audit.type.js';
import { auditLog, checkAuditLog, detailsOf } from './audit.service.js';

@Resolver(() => AuditRecordType)
export class AuditResolver {
  @Query(() => AuditRecordConnection, { description: 'The audit log, newest first (auditors and admins).' })
  auditLog(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AuditLogFilter, { nullable: true }) filter?: AuditLogFilter,
  ) {
    return auditLog(ctx, filter, page);
  }

  @Query(() => AuditVerification, {
    description: 'Recomputes the hash chain over every record: finds edits and removals made in the database.',
  })
  verifyAuditLog(@Ctx() ctx: Context) {
    return checkAuditLog(ctx);
  }

  @FieldResolver(() => JSONObjectResolver)
  details(@Root() record: AuditRecord) {
    return detailsOf(record);
  }
}
