import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Meter, MeterAssignment, MeterBox, MeterStatus, ServicePoint } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted } from '../common/index.js';
import type {
  CreateServicePointInput,
  ExchangeMeterInput,
  InstallMeterInput,
  RemoveMeterInput,
} from './service-point.type.js';

const createSchema = z.object({
  code: formats.code,
  customerId: z.string(),
  meterBoxId: z.string().optional().nullable(),
});

export async function createServicePoint(ctx: Context, input: CreateServicePointInput): Promise<ServicePoint> {
  ctx.access.assert('create', 'ServicePoint');
  const data = validate(createSchema, input);
  const customer = await loadPermitted(ctx, Customer, 'Customer', 'update', data.customerId, ['input', 'customerId']);
  const meterBox = data.meterBoxId
    ? await loadPermitted(ctx, MeterBox, 'MeterBox', 'read', data.meterBoxId, ['input', 'meterBoxId'])
    : undefined;
  const point = ctx.em.create(ServicePoint, { code: data.code, customer, meterBox });
  await ctx.em.flush();
  return point;
}

/** A register value must fit the meter's register: non-negative, below 10^digits, at most `decimals` places. */
export function checkRegisterValue(meter: Meter, value: string, path: (string | number)[]): void {
  const v = new Dec(value);
  if (v.isNegative()) throw badField(path, 'must not be negative');
  if (v.gte(new Dec(10).pow(meter.registerDigits)))
    throw badField(path, `exceeds the meter's ${meter.registerDigits}-digit register`);
  if (v.decimalPlaces() > meter.registerDecimals)
    throw badField(path, `has more than the meter's ${meter.registerDecimals} decimals`);
}

interface InstallArgs {
  meter: Meter;
  point: ServicePoint;
  at: Date;
  initialReading: string;
  box?: MeterBox;
}

async function install(
  em: EntityManager,
  { meter, point, at, initialReading, box }: InstallArgs,
  paths: { meter: string[]; reading: string[] },
) {
  if (meter.status !== MeterStatus.IN_STOCK)
    throw badField(paths.meter, `the meter is ${meter.status}, only IN_STOCK meters can be installed`);
  checkRegisterValue(meter, initialReading, paths.reading);
  const meterBox = box ?? (point.meterBox ? await em.findOneOrFail(MeterBox, point.meterBox.id) : undefined);
  meter.status = MeterStatus.INSTALLED;
  meter.installedAt = at;
  meter.removedAt = undefined;
  meter.meterBox = meterBox;
  // An installed meter belongs to the area of its box (or, without a box, to the customer's unit).
  meter.orgUnit = meterBox ? meterBox.orgUnit : (await em.findOneOrFail(Customer, point.customer.id)).orgUnit;
  return em.create(MeterAssignment, { meter, servicePoint: point, installedAt: at, initialReading });
}

async function remove(
  em: EntityManager,
  meter: Meter,
  at: Date,
  finalReading: string,
  reason: string | undefined,
  paths: { meter: string[]; reading: string[]; at: string[] },
) {
  if (meter.status !== MeterStatus.INSTALLED)
    throw badField(paths.meter, `the meter is ${meter.status}, not INSTALLED`);
  const open = await em.findOne(MeterAssignment, { meter, removedAt: null });
  if (!open) throw badField(paths.meter, 'the meter is not on any service point');
  if (at <= open.installedAt) throw badField(paths.at, 'must be after the installation');
  if (at > new Date(Date.now() + 5 * 60_000)) throw badField(paths.at, 'must not be in the future');
  checkRegisterValue(meter, finalReading, paths.reading);
  open.removedAt = at;
  open.finalReading = finalReading;
  open.reason = reason;
  meter.status = MeterStatus.REMOVED;
  meter.removedAt = at;
  meter.meterBox = undefined;
  return open;
}

const installSchema = z.object({
  meterId: z.string(),
  servicePointId: z.string(),
  installedAt: z.date().refine((d) => d <= new Date(Date.now() + 5 * 60_000), 'must not be in the future'),
  initialReading: formats.registerValue,
  meterBoxId: z.string().optional().nullable(),
});

export async function installMeter(ctx: Context, input: InstallMeterInput) {
  const data = validate(installSchema, input);
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.meterId, ['input', 'meterId']);
  const point = await loadPermitted(ctx, ServicePoint, 'ServicePoint', 'update', data.servicePointId, [
    'input',
    'servicePointId',
  ]);
  const box = data.meterBoxId
    ? await loadPermitted(ctx, MeterBox, 'MeterBox', 'read', data.meterBoxId, ['input', 'meterBoxId'])
    : undefined;
  if (await ctx.em.count(MeterAssignment, { servicePoint: point, removedAt: null })) {
    throw badField(['input', 'servicePointId'], 'the service point already has a meter; use exchangeMeter');
  }
  return ctx.em.transactional(async (em) => {
    const assignment = await install(
      em,
      { meter, point, at: data.installedAt, initialReading: data.initialReading, box },
      {
        meter: ['input', 'meterId'],
        reading: ['input', 'initialReading'],
      },
    );
    await em.flush();
    return { meter, assignment };
  });
}

const removeSchema = z.object({
  meterId: z.string(),
  removedAt: z.date(),
  finalReading: formats.registerValue,
  reason: z.string().max(255).optional().nullable(),
});

export async function removeMeter(ctx: Context, input: RemoveMeterInput) {
  const data = validate(removeSchema, input);
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.meterId, ['input', 'meterId']);
  return ctx.em.transactional(async (em) => {
    const assignment = await remove(em, meter, data.removedAt, data.finalReading, data.reason ?? undefined, {
      meter: ['input', 'meterId'],
      reading: ['input', 'finalReading'],
      at: ['input', 'removedAt'],
    });
    await em.flush();
    return { meter, assignment };
  });
}

const exchangeSchema = z.object({
  servicePointId: z.string(),
  newMeterId: z.string(),
  exchangedAt: z.date(),
  oldFinalReading: formats.registerValue,
  newInitialReading: formats.registerValue,
  reason: z.string().max(255).optional().nullable(),
});

/** Old meter off and new meter on at the same instant, both readings kept: consumption stays continuous. */
export async function exchangeMeter(ctx: Context, input: ExchangeMeterInput) {
  const data = validate(exchangeSchema, input);
  const point = await loadPermitted(ctx, ServicePoint, 'ServicePoint', 'update', data.servicePointId, [
    'input',
    'servicePointId',
  ]);
  const newMeter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.newMeterId, ['input', 'newMeterId']);
  const open = await ctx.em.findOne(MeterAssignment, { servicePoint: point, removedAt: null });
  if (!open)
    throw badField(['input', 'servicePointId'], 'the service point has no meter to exchange; use installMeter');
  // The meter coming off must be one the caller may change, and so must the box it leaves.
  const meterWhere = ctx.access.where<Meter>('update', 'Meter');
  const oldMeter =
    meterWhere === null ? null : await ctx.em.findOne(Meter, { $and: [meterWhere, { id: open.meter.id }] });
  if (!oldMeter) throw badField(['input', 'servicePointId'], 'the installed meter is not one you may change');
  if (oldMeter.id === newMeter.id) throw badField(['input', 'newMeterId'], 'is the meter already installed');
  const boxWhere = ctx.access.where<MeterBox>('read', 'MeterBox');
  const box =
    oldMeter.meterBox && boxWhere !== null
      ? ((await ctx.em.findOne(MeterBox, { $and: [boxWhere, { id: oldMeter.meterBox.id }] })) ?? undefined)
      : undefined;
  if (oldMeter.meterBox && !box)
    throw badField(['input', 'servicePointId'], "the installed meter's box is not one you may use");
  return ctx.em.transactional(async (em) => {
    const closed = await remove(em, oldMeter, data.exchangedAt, data.oldFinalReading, data.reason ?? 'exchange', {
      meter: ['input', 'servicePointId'],
      reading: ['input', 'oldFinalReading'],
      at: ['input', 'exchangedAt'],
    });
    await em.flush(); // close the old assignment before the partial unique index sees the new one
    const opened = await install(
      em,
      { meter: newMeter, point, at: data.exchangedAt, initialReading: data.newInitialReading, box },
      {
        meter: ['input', 'newMeterId'],
        reading: ['input', 'newInitialReading'],
      },
    );
    await em.flush();
    return { oldMeter, newMeter, closedAssignment: closed, openedAssignment: opened };
  });
}
