import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { verifyAuditLog } from '../../auth/audit/audit-log.js';
import { AuditRecord } from '../../orm/entities/index.js';
import { validate } from '../../shared/validate.js';
import { type Context, OrderDirection, type PageArgs, paginate } from '../common/index.js';
import type { AuditLogFilter } from './audit.type.js';

const filterSchema = z
  .object({
    actions: z.array(z.string().min(1).max(64)).max(50).optional().nullable(),
    actor: z.string().min(1).max(64).optional().nullable(),
    outcome: z.string().min(1).max(32).optional().nullable(),
    from: z.date().optional().nullable(),
    to: z.date().optional().nullable(),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, { message: 'must be after from', path: ['to'] });

/** Newest first. Audit records are not scoped by org: whoever may read them reads them all. */
export function auditLog(ctx: Context, filter: AuditLogFilter | undefined, page: PageArgs) {
  ctx.access.assert('read', 'AuditRecord');
  const f = filter ? validate(filterSchema, filter, ['filter']) : {};
  const where: FilterQuery<AuditRecord>[] = [];
  if (f.actions?.length) where.push({ action: { $in: f.actions } });
  if (f.actor) where.push({ actor: f.actor });
  if (f.outcome) where.push({ outcome: f.outcome });
  if (f.from) where.push({ at: { $gte: f.from } });
  if (f.to) where.push({ at: { $lt: f.to } });
  return paginate(
    ctx.em,
    AuditRecord,
    where.length ? { $and: where } : {},
    page,
    { field: 'id', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
  );
}

export function checkAuditLog(ctx: Context) {
  ctx.access.assert('read', 'AuditRecord');
  return verifyAuditLog(ctx.em, ctx.config.audit.key);
}

/** The stored text back as the object it was recorded from. */
export const detailsOf = (record: AuditRecord): Record<string, unknown> =>
  JSON.parse(record.details) as Record<string, unknown>;
