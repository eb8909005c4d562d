import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Meter, MeterBox, MeterStatus, OrgUnit } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { CreateMeterBoxInput, MeterBoxFilter, MeterBoxOrder, UpdateMeterBoxInput } from './meter-box.type.js';

export async function listMeterBoxes(
  ctx: Context,
  filter: MeterBoxFilter | undefined,
  order: MeterBoxOrder | undefined,
  page: PageArgs,
) {
  const where = ctx.access.where<MeterBox>('read', 'MeterBox');
  const conditions: FilterQuery<MeterBox>[] = [];
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  if (filter?.search) {
    conditions.push({
      $or: [
        { barcode: { $like: `${escapeLike(filter.search)}%` } },
        { address: { $ilike: `%${escapeLike(filter.search)}%` } },
      ],
    });
  }
  return paginate(
    ctx.em,
    MeterBox,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: order?.field ?? 'id', direction: order?.direction ?? OrderDirection.ASC },
    ctx.config.maxPageSize,
    order?.field === 'createdAt',
  );
}

export async function meterBoxByBarcode(ctx: Context, barcode: string): Promise<MeterBox | null> {
  const where = ctx.access.where<MeterBox>('read', 'MeterBox');
  return where === null ? null : ctx.em.findOne(MeterBox, { $and: [where, { barcode }] });
}

export const createMeterBoxSchema = z
  .object({
    barcode: formats.barcode,
    address: formats.address,
    latitude: formats.latitude.optional().nullable(),
    longitude: formats.longitude.optional().nullable(),
    orgUnitId: z.string(),
  })
  .refine((v) => (v.latitude == null) === (v.longitude == null), {
    path: ['longitude'],
    message: 'latitude and longitude go together',
  });

export async function createMeterBox(ctx: Context, input: CreateMeterBoxInput): Promise<MeterBox> {
  ctx.access.assert('create', 'MeterBox');
  const data = validate(createMeterBoxSchema, input);
  const orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const box = ctx.em.create(MeterBox, {
    barcode: data.barcode,
    address: data.address,
    latitude: data.latitude ?? undefined,
    longitude: data.longitude ?? undefined,
    orgUnit,
  });
  await ctx.em.flush();
  return box;
}

const updateSchema = z.object({
  id: z.string(),
  address: formats.address.optional().nullable(),
  latitude: formats.latitude.optional().nullable(),
  longitude: formats.longitude.optional().nullable(),
  orgUnitId: z.string().optional().nullable(),
});

export async function updateMeterBox(ctx: Context, input: UpdateMeterBoxInput): Promise<MeterBox> {
  const data = validate(updateSchema, input);
  const box = await loadPermitted(ctx, MeterBox, 'MeterBox', 'update', data.id);
  if ((data.latitude == null) !== (data.longitude == null)) {
    throw badField(['input', data.latitude == null ? 'latitude' : 'longitude'], 'latitude and longitude go together');
  }
  if (data.address) box.address = data.address;
  if (data.latitude && data.longitude) {
    box.latitude = data.latitude;
    box.longitude = data.longitude;
  }
  if (data.orgUnitId) {
    const area = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
    await ctx.em.transactional(async (em) => {
      box.orgUnit = area;
      // Installed meters belong to their box's area: they move with it.
      await em.nativeUpdate(Meter, { meterBox: box.id, status: MeterStatus.INSTALLED }, { orgUnit: area.id });
      await em.flush();
    });
    return box;
  }
  await ctx.em.flush();
  return box;
}
