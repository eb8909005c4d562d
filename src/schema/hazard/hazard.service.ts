import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import {
  Customer,
  FieldPhoto,
  HazardCategory,
  HazardReport,
  HazardStatus,
  Meter,
  MeterBox,
  OrgUnit,
  type User,
} from '../../orm/entities/index.js';
import { badField, forbidden } from '../../shared/errors.js';
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
import { BOTH_OR_NEITHER, bothOrNeither, latitude, longitude } from '../../shared/coordinates.js';
import { MAX_POINTS, MIN_POINTS, pointsFor } from './hazard-points.js';
import type { DismissHazardInput, HazardReportFilter, ReportHazardInput, VerifyHazardInput } from './hazard.type.js';

/** Photos one report may link at once. */
const MAX_PHOTOS = 20;

const optionalId = z.string().optional().nullable();
const reportSchema = z
  .object({
    category: z.enum(HazardCategory),
    description: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
    meterBoxId: optionalId,
    meterId: optionalId,
    customerId: optionalId,
    latitude: latitude.optional().nullable(),
    longitude: longitude.optional().nullable(),
    photoIds: z.array(z.string()).max(MAX_PHOTOS, `must be at most ${MAX_PHOTOS} photos`).optional().nullable(),
  })
  .refine(bothOrNeither, BOTH_OR_NEITHER);

/**
 * A field worker reports a hazard (paper 3.3). It belongs to the unit of the box it is in, else
 * of the meter, else of the customer, else of the reporter, and is seen there. Photos uploaded
 * beforehand by the reporter (POST /field/photos without a link) are linked to it and move to its
 * unit; more can be uploaded afterwards with the report's ID.
 */
export async function reportHazard(ctx: Context, input: ReportHazardInput): Promise<HazardReport> {
  const user = ctx.access.requireUser();
  ctx.access.assert('create', 'HazardReport');
  const data = validate(reportSchema, input);
  const at = (field: string) => ['input', field];
  const box = data.meterBoxId
    ? await loadPermitted(ctx, MeterBox, 'MeterBox', 'read', data.meterBoxId, at('meterBoxId'))
    : null;
  const meter = data.meterId ? await loadPermitted(ctx, Meter, 'Meter', 'read', data.meterId, at('meterId')) : null;
  if (box && meter && meter.meterBox?.id !== box.id) throw badField(at('meterId'), 'is not in that meter box');
  const customer = data.customerId
    ? await loadPermitted(ctx, Customer, 'Customer', 'read', data.customerId, at('customerId'))
    : null;
  const unitId = box?.orgUnit.id ?? meter?.orgUnit.id ?? customer?.orgUnit.id ?? user.orgUnit.id;
  const createHere = ctx.access.whereOn<OrgUnit>('create', 'HazardReport', 'OrgUnit');
  if (createHere === null || !(await ctx.em.count(OrgUnit, { $and: [createHere, { id: unitId }] })))
    throw forbidden('Not allowed to report hazards there');

  const photos = await unlinkedPhotos(ctx, data.photoIds ?? []);
  const report = ctx.em.create(HazardReport, {
    category: data.category,
    description: data.description,
    orgUnit: ctx.em.getReference(OrgUnit, unitId),
    meterBox: box ?? undefined,
    meter: meter ?? undefined,
    customer: customer ?? undefined,
    latitude: data.latitude ?? undefined,
    longitude: data.longitude ?? undefined,
    reportedBy: user,
  });
  for (const photo of photos) {
    photo.hazardReport = report;
    photo.orgUnit = report.orgUnit;
  }
  await ctx.em.flush();
  return report;
}

/** The caller's own photos, readable and not yet linked to anything, in the order given. */
async function unlinkedPhotos(ctx: Context, globalIds: string[]): Promise<FieldPhoto[]> {
  if (!globalIds.length) return [];
  const user = ctx.access.requireUser();
  const ids = globalIds.map((id, i) => localId(id, 'FieldPhoto', ['input', 'photoIds', i]));
  const where = ctx.access.where<FieldPhoto>('read', 'FieldPhoto');
  const rows = where === null ? [] : await ctx.em.find(FieldPhoto, { $and: [where, { id: { $in: ids } }] });
  const byId = new Map(rows.map((p) => [p.id, p]));
  return ids.map((id, i) => {
    const path = ['input', 'photoIds', i];
    const photo = byId.get(id);
    if (!photo) throw badField(path, 'FieldPhoto not found or not accessible');
    if (ids.indexOf(id) !== i) throw badField(path, 'is given twice');
    if (photo.uploadedBy.id !== user.id) throw badField(path, 'was uploaded by someone else');
    if (photo.hazardReport || photo.workOrder || photo.stop) throw badField(path, 'already documents something else');
    return photo;
  });
}

const verifySchema = z.object({
  id: z.string(),
  points: z
    .number()
    .int('must be a whole number')
    .min(MIN_POINTS, `must be between ${MIN_POINTS} and ${MAX_POINTS}`)
    .max(MAX_POINTS, `must be between ${MIN_POINTS} and ${MAX_POINTS}`)
    .optional()
    .nullable(),
  note: z.string().trim().max(500, 'must be at most 500 characters').optional().nullable(),
});

const dismissSchema = z.object({
  id: z.string(),
  note: z.string().trim().min(1, 'must say why').max(500, 'must be at most 500 characters'),
});

/**
 * Decides a report still waiting for its decision, which the caller may decide and did not make.
 * The status is checked again with the row locked: two managers deciding at once cannot both win.
 */
async function decide(
  ctx: Context,
  id: string,
  decision: string,
  apply: (report: HazardReport, user: User) => void,
): Promise<HazardReport> {
  ctx.access.assert('update', 'HazardReport');
  const user = ctx.access.requireUser();
  const found = await loadPermitted(ctx, HazardReport, 'HazardReport', 'update', id);
  return ctx.em.transactional(async (em) => {
    const report = await em.findOneOrFail(HazardReport, found.id, {
      lockMode: LockMode.PESSIMISTIC_WRITE,
      refresh: true,
    });
    if (report.status !== HazardStatus.REPORTED)
      throw badField(['input', 'id'], `the report is ${report.status}; only REPORTED reports can be ${decision}`);
    // Points are pay (paper 3.3): nobody awards them to themselves.
    if (report.reportedBy.id === user.id) throw forbidden(`A reporter cannot have their own report ${decision}`);
    apply(report, user);
    report.verifiedBy = user;
    report.verifiedAt = new Date();
    await em.flush();
    return report;
  });
}

/** A manager confirms the hazard: VERIFIED, and the reporter earns the points. */
export async function verifyHazard(ctx: Context, input: VerifyHazardInput): Promise<HazardReport> {
  const data = validate(verifySchema, input);
  return decide(ctx, data.id, 'verified', (report) => {
    report.status = HazardStatus.VERIFIED;
    report.points = pointsFor(report.category, data.points);
    report.verificationNote = data.note || undefined;
  });
}

/** A manager finds no hazard: DISMISSED with the reason, no points. */
export async function dismissHazard(ctx: Context, input: DismissHazardInput): Promise<HazardReport> {
  const data = validate(dismissSchema, input);
  return decide(ctx, data.id, 'dismissed', (report) => {
    report.status = HazardStatus.DISMISSED;
    report.points = 0;
    report.verificationNote = data.note;
  });
}

/** Reports the caller may see, newest first. */
export async function listHazardReports(ctx: Context, filter: HazardReportFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<HazardReport>('read', 'HazardReport');
  const conditions: FilterQuery<HazardReport>[] = [];
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.categories?.length) conditions.push({ category: { $in: filter.categories } });
  if (filter?.reportedById)
    conditions.push({ reportedBy: localId(filter.reportedById, 'User', ['filter', 'reportedById']) });
  if (filter?.from && filter?.to && filter.to <= filter.from) throw badField(['filter', 'to'], 'must be after from');
  if (filter?.from) conditions.push({ reportedAt: { $gte: filter.from } });
  if (filter?.to) conditions.push({ reportedAt: { $lt: filter.to } });
  if (filter?.orgUnitSubtree)
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  return paginate(
    ctx.em,
    HazardReport,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'reportedAt', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
    true,
  );
}
