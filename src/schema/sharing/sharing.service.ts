import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { SHAREABLE_SUBJECTS, type ShareableSubject } from '../../auth/permissions.js';
import { OrgUnit, Role, SharingGrant, User } from '../../orm/entities/index.js';
import { badField, badInput, notFound, type FieldIssue } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { CreateSharingGrantInput, RevokeSharingGrantInput, SharingGrantFilter } from './sharing.type.js';

/** The longest a grant may run: sharing is for a job or an agreement, renewed on purpose, never open-ended. */
export const MAX_GRANT_DAYS = 365;

/**
 * The grants a caller may see: those their rules allow (an admin all, a station manager those of
 * their subtree, an auditor all), and the active ones that reach the caller themselves.
 */
export function readableGrants(ctx: Context): FilterQuery<SharingGrant> | null {
  const where = ctx.access.where<SharingGrant>('read', 'SharingGrant');
  const received = ctx.access.grantIds;
  if (!received.length) return where;
  const mine: FilterQuery<SharingGrant> = { id: { $in: received } };
  return where === null ? mine : { $or: [where, mine] };
}

/** Newest first. */
export async function listSharingGrants(ctx: Context, filter: SharingGrantFilter | undefined, page: PageArgs) {
  const where = readableGrants(ctx);
  const conditions: FilterQuery<SharingGrant>[] = [];
  const now = new Date();
  if (filter?.active === true) conditions.push({ revokedAt: null, expiresAt: { $gt: now } });
  if (filter?.active === false) conditions.push({ $or: [{ revokedAt: { $ne: null } }, { expiresAt: { $lte: now } }] });
  if (filter?.received) conditions.push({ id: { $in: ctx.access.grantIds.length ? ctx.access.grantIds : [0] } });
  if (filter?.sourceUnitSubtree) {
    conditions.push(
      await subtreeCondition(ctx, filter.sourceUnitSubtree, ['filter', 'sourceUnitSubtree'], ['sourceUnit']),
    );
  }
  const connection = await paginate(
    ctx.em,
    SharingGrant,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'id', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
  );
  // The parties of a grant are part of it: loaded with the page, not one by one.
  await ctx.em.populate(connection.nodes, ['sourceUnit', 'granteeUnit', 'granteeUser']);
  return connection;
}

/** One grant by id, visible on the same terms as the list (NOT_FOUND otherwise, like any row out of reach). */
export async function loadSharingGrant(ctx: Context, globalId: string): Promise<SharingGrant> {
  const where = readableGrants(ctx);
  const id = localId(globalId, 'SharingGrant', ['id']);
  const grant = where === null ? null : await ctx.em.findOne(SharingGrant, { $and: [where, { id }] });
  if (!grant) throw notFound('SharingGrant', globalId);
  return grant;
}

const isShareable = (subject: string): subject is ShareableSubject =>
  (SHAREABLE_SUBJECTS as readonly string[]).includes(subject);

const DAY_MS = 86_400_000;

/**
 * Every check reports at its own path and all of them at once: each runs on its own field (zod
 * skips an object's refinements when a field already failed, so there are none at that level but
 * the one that is asked to run anyway).
 */
const createSchema = (fieldsOf: (subject: ShareableSubject) => string[]) =>
  z
    .object({
      sourceUnitId: z.string(),
      granteeUnitId: z.string().optional().nullable(),
      granteeUserId: z.string().optional().nullable(),
      shares: z
        .array(
          z.object({
            subject: z.string(),
            fields: z
              .array(z.string())
              .min(1, 'list at least one field, or omit the list to share every field')
              .max(100)
              .optional()
              .nullable(),
          }),
        )
        .min(1, 'share at least one subject')
        .max(SHAREABLE_SUBJECTS.length)
        .superRefine((shares, issues) => {
          const issue = (path: (string | number)[], message: string) =>
            issues.addIssue({ code: 'custom', path, message });
          const seen = new Set<string>();
          shares.forEach((share, i) => {
            if (!isShareable(share.subject)) {
              issue([i, 'subject'], `must be one of ${SHAREABLE_SUBJECTS.join(', ')}`);
              return;
            }
            if (seen.has(share.subject)) issue([i, 'subject'], `${share.subject} is listed twice`);
            seen.add(share.subject);
            const known = new Set(fieldsOf(share.subject));
            const listed = new Set<string>();
            share.fields?.forEach((field, j) => {
              if (!known.has(field)) issue([i, 'fields', j], `${share.subject} has no field ${field}`);
              else if (listed.has(field)) issue([i, 'fields', j], `${field} is listed twice`);
              listed.add(field);
            });
          });
        }),
      purpose: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
      expiresAt: z.date().superRefine((at, issues) => {
        const now = Date.now();
        if (at.getTime() <= now) issues.addIssue({ code: 'custom', message: 'must be in the future' });
        else if (at.getTime() > now + MAX_GRANT_DAYS * DAY_MS)
          issues.addIssue({ code: 'custom', message: `must be at most ${MAX_GRANT_DAYS} days ahead` });
      }),
    })
    .superRefine(
      (data, issues) => {
        if (!data.granteeUnitId === !data.granteeUserId)
          issues.addIssue({
            code: 'custom',
            path: ['granteeUnitId'],
            message: 'give either a grantee unit or a grantee user',
          });
      },
      { when: () => true },
    );

/**
 * Shares the subtree of a unit in the caller's own scope, read-only, until `expiresAt`. Nobody
 * shares more than they may read there themselves: each subject, and each field of it.
 */
export async function createSharingGrant(
  ctx: Context,
  input: CreateSharingGrantInput,
  fieldsOf: (subject: ShareableSubject) => string[],
): Promise<SharingGrant> {
  ctx.access.assert('create', 'SharingGrant');
  const data = validate(createSchema(fieldsOf), input);

  const sourceWhere = ctx.access.whereOn<OrgUnit>('create', 'SharingGrant', 'OrgUnit');
  const sourceId = localId(data.sourceUnitId, 'OrgUnit', ['input', 'sourceUnitId']);
  const source = sourceWhere === null ? null : await ctx.em.findOne(OrgUnit, { $and: [sourceWhere, { id: sourceId }] });
  if (!source) throw badField(['input', 'sourceUnitId'], 'OrgUnit not found or not yours to share');

  const problems: FieldIssue[] = [];
  const shares = data.shares as { subject: ShareableSubject; fields?: string[] | null }[];
  for (const [i, share] of shares.entries()) {
    const readable = ctx.access.whereOn<OrgUnit>('read', share.subject, 'OrgUnit');
    const reads = readable !== null && (await ctx.em.count(OrgUnit, { $and: [readable, { id: source.id }] })) > 0;
    if (!reads) {
      problems.push({ path: ['input', 'shares', i, 'subject'], message: `you may not read ${share.subject} there` });
      continue;
    }
    const denied = (share.fields ?? fieldsOf(share.subject)).filter(
      (field) => ctx.access.fieldAccess(share.subject, field) !== 'READABLE',
    );
    if (denied.length) {
      problems.push({
        path: ['input', 'shares', i, 'fields'],
        message: `you may not share ${denied.map((f) => `${share.subject}.${f}`).join(', ')}${share.fields ? '' : ': list the fields to share'}`,
      });
    }
  }
  if (problems.length) throw badInput(problems);

  let granteeUnit: OrgUnit | undefined;
  let granteeUser: User | undefined;
  if (data.granteeUnitId) {
    // Any unit may receive a grant: sharing outside one's own scope is the point.
    const id = localId(data.granteeUnitId, 'OrgUnit', ['input', 'granteeUnitId']);
    granteeUnit = (await ctx.em.findOne(OrgUnit, { id })) ?? undefined;
    if (!granteeUnit) throw badField(['input', 'granteeUnitId'], 'OrgUnit not found');
  } else {
    const id = localId(data.granteeUserId!, 'User', ['input', 'granteeUserId']);
    granteeUser = (await ctx.em.findOne(User, { id })) ?? undefined;
    if (!granteeUser || !granteeUser.active) throw badField(['input', 'granteeUserId'], 'User not found or inactive');
    if (granteeUser.role === Role.CUSTOMER)
      throw badField(['input', 'granteeUserId'], 'customer logins see their own account only and receive no grants');
  }

  const grant = ctx.em.create(SharingGrant, {
    sourceUnit: source,
    granteeUnit,
    granteeUser,
    shares: shares.map((s) => (s.fields ? { subject: s.subject, fields: s.fields } : { subject: s.subject })),
    purpose: data.purpose,
    expiresAt: data.expiresAt,
    createdBy: ctx.access.requireUser(),
  });
  await ctx.em.flush();
  ctx.logger.info(
    {
      event: 'sharing_grant_created',
      grantId: grant.id,
      sourceUnitId: source.id,
      granteeUnitId: granteeUnit?.id,
      granteeUserId: granteeUser?.id,
      subjects: shares.map((s) => s.subject),
      expiresAt: data.expiresAt,
      userId: ctx.access.user?.id,
    },
    'sharing grant created',
  );
  return grant;
}

const revokeSchema = z.object({
  id: z.string(),
  reason: z.string().trim().max(500, 'must be at most 500 characters').optional().nullable(),
});

/** Ends a grant at once (its users lose it on their next request); the row stays on record. */
export async function revokeSharingGrant(ctx: Context, input: RevokeSharingGrantInput): Promise<SharingGrant> {
  ctx.access.assert('update', 'SharingGrant');
  const data = validate(revokeSchema, input);
  const grant = await loadPermitted(ctx, SharingGrant, 'SharingGrant', 'update', data.id);
  if (grant.revokedAt) throw badField(['input', 'id'], 'the grant is already revoked');
  if (grant.expiresAt <= new Date()) throw badField(['input', 'id'], 'the grant has already expired');
  grant.revokedAt = new Date();
  grant.revokedBy = ctx.access.requireUser();
  if (data.reason) grant.revokeReason = data.reason;
  await ctx.em.flush();
  ctx.logger.info(
    { event: 'sharing_grant_revoked', grantId: grant.id, userId: ctx.access.user?.id },
    'sharing grant revoked',
  );
  return grant;
}
