import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  FieldPhoto,
  HazardReport,
  HazardStatus,
  OrgUnit,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderStatus,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { AppError, ErrorCode, badField, forbidden } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted, localId } from '../common/index.js';
import { BOTH_OR_NEITHER, bothOrNeither, latitude, longitude } from '../../shared/coordinates.js';
import { onReadableOrder } from '../work-order/index.js';
import { newStorageKey, type PhotoStore } from '../../storage/index.js';
import { PHOTO_TYPES, sniffPhotoType } from './photo-type.js';

/** `extensions.reason` of a refused file, so that HTTP can answer 413 and 415. */
export const TOO_LARGE = 'TOO_LARGE';
export const UNSUPPORTED_TYPE = 'UNSUPPORTED_TYPE';

/** The refusal of a file larger than the limit, at the path of the file field. */
export const tooLarge = (maxBytes: number) =>
  new AppError(ErrorCode.BAD_USER_INPUT, `Invalid input: file: must be at most ${maxBytes} bytes`, {
    fields: [{ path: ['file'], message: `must be at most ${maxBytes} bytes` }],
    reason: TOO_LARGE,
  });

const unsupportedType = () =>
  new AppError(ErrorCode.BAD_USER_INPUT, `Invalid input: file: must be a photo (${PHOTO_TYPES.join(', ')})`, {
    fields: [{ path: ['file'], message: `must be a photo (${PHOTO_TYPES.join(', ')}), by its content` }],
    reason: UNSUPPORTED_TYPE,
  });

/** How far a phone's clock may be ahead of the server's, and how old a photo may be. */
const CLOCK_AHEAD_MS = 5 * 60_000;
const OLDEST_MS = 366 * 86_400_000;

const fieldsSchema = z
  .object({
    workOrderId: z.string().optional(),
    stopId: z.string().optional(),
    hazardReportId: z.string().optional(),
    latitude: latitude.optional(),
    longitude: longitude.optional(),
    takenAt: z
      .string()
      .regex(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
        'must be an ISO-8601 time with offset',
      )
      .transform((v) => new Date(v))
      .refine((d) => !Number.isNaN(d.getTime()), 'must be a valid time')
      .refine((d) => d.getTime() <= Date.now() + CLOCK_AHEAD_MS, 'must not be in the future')
      .refine((d) => d.getTime() >= Date.now() - OLDEST_MS, 'must be within the last year')
      .optional(),
  })
  .strict()
  .refine(bothOrNeither, BOTH_OR_NEITHER)
  .refine((v) => !(v.hazardReportId && (v.workOrderId || v.stopId)), {
    path: ['hazardReportId'],
    message: 'a photo documents a hazard report or a work order, not both',
  });

export interface PhotoUpload {
  /** The file's bytes, already within the size limit. */
  bytes: Buffer;
  /** The form's text fields, each given once. */
  fields: Record<string, string>;
}

// Once every assignee has confirmed (SUBMITTED), the evidence is what they confirmed.
const CLOSED_ORDERS: readonly WorkOrderStatus[] = [
  WorkOrderStatus.SUBMITTED,
  WorkOrderStatus.APPROVED,
  WorkOrderStatus.CLOSED,
];

/** The work order (and stop) a photo is for, checked: readable, open, and the caller works on it. */
async function workOrderLink(ctx: Context, data: { workOrderId?: string; stopId?: string }) {
  let stop: WorkOrderStop | null = null;
  if (data.stopId) {
    const id = localId(data.stopId, 'WorkOrderStop', ['stopId']);
    const where = ctx.access.where<WorkOrder>('read', 'WorkOrder');
    stop = where === null ? null : await ctx.em.findOne(WorkOrderStop, { $and: [{ id }, onReadableOrder(where)] });
    if (!stop) throw badField(['stopId'], 'WorkOrderStop not found or not accessible');
  }
  let order: WorkOrder | null = null;
  if (data.workOrderId) {
    order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'read', data.workOrderId, ['workOrderId']);
    if (stop && stop.workOrder.id !== order.id) throw badField(['stopId'], 'is not a stop of that work order');
  } else if (stop) {
    order = await ctx.em.findOneOrFail(WorkOrder, { id: stop.workOrder.id });
  }
  if (!order) return { order, stop };
  const at = data.workOrderId ? ['workOrderId'] : ['stopId'];
  if (CLOSED_ORDERS.includes(order.status))
    throw badField(at, `the work order is ${order.status}: it takes no more photos`);
  const user = ctx.access.requireUser();
  const assigned = await ctx.em.count(WorkOrderAssignee, { workOrder: order.id, user: user.id });
  if (!assigned) {
    const update = ctx.access.where<WorkOrder>('update', 'WorkOrder');
    const manages = update !== null && (await ctx.em.count(WorkOrder, { $and: [update, { id: order.id }] })) > 0;
    if (!manages) throw forbidden('Only its assignees and the managers who may change it add photos to a work order');
  }
  return { order, stop };
}

/** The hazard report a photo is for: readable and still waiting for its verification. */
async function hazardLink(ctx: Context, globalId: string): Promise<HazardReport> {
  const report = await loadPermitted(ctx, HazardReport, 'HazardReport', 'read', globalId, ['hazardReportId']);
  if (report.status !== HazardStatus.REPORTED)
    throw badField(['hazardReportId'], `the report is ${report.status}: it takes no more photos`);
  return report;
}

/**
 * Keeps an uploaded photo: its type by its own bytes, its form fields validated, its links
 * checked, then the bytes in the store and the row in the database. Nothing is kept when anything
 * is refused, and the bytes are removed again when the row cannot be written.
 */
export async function createPhoto(ctx: Context, store: PhotoStore, upload: PhotoUpload): Promise<FieldPhoto> {
  const user = ctx.access.requireUser();
  ctx.access.assert('create', 'FieldPhoto');
  const type = sniffPhotoType(upload.bytes);
  if (!type) throw unsupportedType();
  const data = validate(fieldsSchema, upload.fields, []);
  const { order, stop } = await workOrderLink(ctx, data);
  const hazard = data.hazardReportId ? await hazardLink(ctx, data.hazardReportId) : null;
  // The unit of what it documents, else the uploader's: the photo is seen where that is seen.
  const unitId = order?.orgUnit.id ?? hazard?.orgUnit.id ?? user.orgUnit.id;
  const createHere = ctx.access.whereOn<OrgUnit>('create', 'FieldPhoto', 'OrgUnit');
  if (createHere === null || !(await ctx.em.count(OrgUnit, { $and: [createHere, { id: unitId }] })))
    throw forbidden('Not allowed to add photos there');

  const key = newStorageKey(type.extension);
  await store.put(key, upload.bytes, type.contentType);
  try {
    const photo = ctx.em.create(FieldPhoto, {
      storageKey: key,
      contentType: type.contentType,
      byteSize: upload.bytes.length,
      sha256: createHash('sha256').update(upload.bytes).digest('hex'),
      latitude: data.latitude,
      longitude: data.longitude,
      takenAt: data.takenAt,
      uploadedBy: user,
      orgUnit: ctx.em.getReference(OrgUnit, unitId),
      workOrder: order ?? undefined,
      stop: stop ?? undefined,
      hazardReport: hazard ?? undefined,
    });
    await ctx.em.flush();
    return photo;
  } catch (error) {
    await store.delete(key).catch((e: unknown) => ctx.logger.error({ err: e, key }, 'photo left in the store'));
    throw error;
  }
}

/** A photo the caller may see, with its bytes. Unknown and hidden photos are alike: NOT_FOUND. */
export async function photoForDownload(
  ctx: Context,
  store: PhotoStore,
  globalId: string,
): Promise<{ photo: FieldPhoto; bytes: Buffer }> {
  ctx.access.requireUser();
  const photo = await loadPermitted(ctx, FieldPhoto, 'FieldPhoto', 'read', globalId);
  const bytes = await store.get(photo.storageKey);
  if (!bytes) throw new Error(`photo ${photo.id} has no bytes in the store (${photo.storageKey})`);
  return { photo, bytes };
}
