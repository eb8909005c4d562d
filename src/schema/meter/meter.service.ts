import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Meter, MeterBox, MeterProtocol, MeterStatus, OrgUnit } from '../../orm/entities/index.js';
import { badField, badInput } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { CreateMeterInput, MeterFilter, MeterOrder, ScrapMeterInput, UpdateMeterInput } from './meter.type.js';

export async function listMeters(
  ctx: Context,
  filter: MeterFilter | undefined,
  order: MeterOrder | undefined,
  page: PageArgs,
) {
  const where = ctx.access.where<Meter>('read', 'Meter');
  const conditions: FilterQuery<Meter>[] = [];
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.protocols?.length) conditions.push({ protocol: { $in: filter.protocols } });
  if (filter?.meterBoxId)
    conditions.push({ meterBox: localId(filter.meterBoxId, 'MeterBox', ['filter', 'meterBoxId']) });
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  if (filter?.search) {
    const prefix = `${escapeLike(filter.search)}%`;
    conditions.push({
      $or: [{ assetNo: { $like: prefix } }, { barcode: { $like: prefix } }, { commAddress: { $like: prefix } }],
    });
  }
  if (filter?.verificationDueBy) conditions.push({ nextVerificationDate: { $lte: filter.verificationDueBy } });
  return paginate(
    ctx.em,
    Meter,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: order?.field ?? 'id', direction: order?.direction ?? OrderDirection.ASC },
    ctx.config.maxPageSize,
    order?.field === 'createdAt',
  );
}

/** Lookup for field apps: scan a barcode, get the meter (or null when unknown or out of scope). */
export async function meterByBarcode(ctx: Context, barcode: string): Promise<Meter | null> {
  const where = ctx.access.where<Meter>('read', 'Meter');
  return where === null ? null : ctx.em.findOne(Meter, { $and: [where, { barcode }] });
}

const ratio = formats.ratio;
const meterFields = {
  commAddress: formats.commAddress,
  protocol: z.enum(MeterProtocol),
  manufacturer: formats.name,
  model: formats.name,
  ctRatio: ratio,
  ptRatio: ratio,
  registerDigits: z.number().int().min(4, 'must be between 4 and 10').max(10, 'must be between 4 and 10'),
  registerDecimals: z.number().int().min(0, 'must be between 0 and 4').max(4, 'must be between 0 and 4'),
  accuracyClass: formats.accuracyClass,
  nextVerificationDate: formats.localDate,
};

export const createMeterSchema = z.object({
  ...meterFields,
  assetNo: formats.code,
  barcode: formats.barcode,
  nextVerificationDate: formats.localDate.optional().nullable(),
  ctRatio: ratio.default('1'),
  ptRatio: ratio.default('1'),
  registerDigits: meterFields.registerDigits.default(6),
  registerDecimals: meterFields.registerDecimals.default(2),
  orgUnitId: z.string(),
});

export async function createMeter(ctx: Context, input: CreateMeterInput): Promise<Meter> {
  ctx.access.assert('create', 'Meter');
  const data = validate(createMeterSchema, input);
  const orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const meter = ctx.em.create(Meter, {
    ...data,
    nextVerificationDate: data.nextVerificationDate ?? undefined,
    orgUnit,
    status: MeterStatus.IN_STOCK,
  });
  await ctx.em.flush();
  return meter;
}

const updateSchema = z.object({
  id: z.string(),
  ...Object.fromEntries(Object.entries(meterFields).map(([k, v]) => [k, v.optional().nullable()])),
  orgUnitId: z.string().optional().nullable(),
});

export async function updateMeter(ctx: Context, input: UpdateMeterInput): Promise<Meter> {
  const data = validate(updateSchema, input) as Partial<z.infer<typeof createMeterSchema>> & { id: string };
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.id);
  const { id: _id, orgUnitId, ...fields } = data;
  if (meter.status === MeterStatus.INSTALLED) {
    // These define what past readings mean (multiplier, register width): changing them in place
    // would silently rewrite consumption. Exchange the meter, or remove, correct and reinstall.
    const locked = (['ctRatio', 'ptRatio', 'registerDigits', 'registerDecimals'] as const).filter(
      (k) => fields[k] !== undefined && fields[k] !== null && String(fields[k]) !== String(meter[k]),
    );
    if (locked.length) {
      throw badInput(
        locked.map((k) => ({ path: ['input', k], message: 'cannot change while the meter is installed' })),
      );
    }
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) (meter as unknown as Record<string, unknown>)[key] = value;
  }
  if (orgUnitId) {
    if (meter.status === MeterStatus.INSTALLED) {
      throw badField(['input', 'orgUnitId'], 'an installed meter belongs to its transformer area; remove it first');
    }
    meter.orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', orgUnitId, ['input', 'orgUnitId']);
  }
  await ctx.em.flush();
  return meter;
}

export async function scrapMeter(ctx: Context, input: ScrapMeterInput): Promise<Meter> {
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', input.meterId, ['input', 'meterId']);
  if (meter.status === MeterStatus.INSTALLED)
    throw badField(['input', 'meterId'], 'remove the meter before scrapping it');
  if (meter.status === MeterStatus.SCRAPPED) throw badField(['input', 'meterId'], 'the meter is already scrapped');
  const when = input.scrappedAt ?? new Date();
  if (meter.removedAt && when < meter.removedAt)
    throw badField(['input', 'scrappedAt'], 'must not be before the removal');
  meter.status = MeterStatus.SCRAPPED;
  meter.scrappedAt = when;
  await ctx.em.flush();
  return meter;
}

/** The box a meter is placed in must be in scope too. */
export const loadMeterBox = (ctx: Context, id: string, path: (string | number)[]) =>
  loadPermitted(ctx, MeterBox, 'MeterBox', 'read', id, path);
