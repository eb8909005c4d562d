import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  Customer,
  CustomerCategory,
  Meter,
  MeterAssignment,
  MeterBox,
  MeterProtocol,
  MeterStatus,
  OrgUnit,
  ServicePoint,
} from '../../orm/entities/index.js';
import { sealCustomerPersonalData } from '../../orm/personal-data.js';
import { AppError, badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, mapDatabaseError } from '../common/index.js';
import { checkRegisterValue } from '../service-point/index.js';
import type { ArchiveImportRow, ImportArchiveInput, ImportCounts, ImportRowError } from './archive-import.type.js';

export const MAX_IMPORT_ROWS = 5000;

const meterKeys = [
  'meterAssetNo',
  'meterBarcode',
  'commAddress',
  'protocol',
  'manufacturer',
  'model',
  'accuracyClass',
] as const;

const rowSchema = z
  .object({
    orgUnitCode: formats.code,
    accountNo: formats.accountNo,
    customerName: formats.name,
    category: z.enum(CustomerCategory),
    phone: formats.phone.optional().nullable(),
    idNumber: formats.idNumber.optional().nullable(),
    address: formats.address,
    contractedCapacity: formats.capacity,
    billingDay: z.number().int().min(1).max(28).optional().nullable(),
    meterBoxBarcode: formats.barcode.optional().nullable(),
    meterBoxAreaCode: formats.code.optional().nullable(),
    latitude: formats.latitude.optional().nullable(),
    longitude: formats.longitude.optional().nullable(),
    meterAssetNo: formats.code.optional().nullable(),
    meterBarcode: formats.barcode.optional().nullable(),
    commAddress: formats.commAddress.optional().nullable(),
    protocol: z.enum(MeterProtocol).optional().nullable(),
    manufacturer: formats.name.optional().nullable(),
    model: formats.name.optional().nullable(),
    ctRatio: formats.ratio.optional().nullable(),
    ptRatio: formats.ratio.optional().nullable(),
    accuracyClass: formats.accuracyClass.optional().nullable(),
    installedAt: z
      .date()
      .refine((d) => d <= new Date(Date.now() + 5 * 60_000), 'must not be in the future')
      .optional()
      .nullable(),
    initialReading: formats.registerValue.optional().nullable(),
  })
  .superRefine((row, ctx) => {
    // A meter is all or nothing: with an asset number, every identifying field is required.
    if (meterKeys.some((k) => row[k] != null)) {
      for (const k of meterKeys)
        if (row[k] == null)
          ctx.addIssue({ code: 'custom', path: [k], message: 'is required when the row has a meter' });
    }
    if (row.installedAt != null && (row.meterAssetNo == null || row.initialReading == null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['initialReading'],
        message: 'installing needs a meter and its initial reading',
      });
    }
    if ((row.latitude == null) !== (row.longitude == null))
      ctx.addIssue({ code: 'custom', path: ['longitude'], message: 'latitude and longitude go together' });
  });

type Row = z.infer<typeof rowSchema>;
const zero = (): ImportCounts => ({ customers: 0, meterBoxes: 0, meters: 0, installations: 0 });

class RowFailed extends Error {
  constructor(readonly detail: ImportRowError) {
    super(detail.message);
  }
}

/** Which column of a batch row each unique constraint guards. */
const ROW_FIELDS: Record<string, string> = {
  customer_account_no_unique: 'accountNo',
  meter_asset_no_unique: 'meterAssetNo',
  meter_barcode_unique: 'meterBarcode',
  meter_box_barcode_unique: 'meterBoxBarcode',
  service_point_code_unique: 'accountNo',
};

function toRowError(row: number, error: unknown): ImportRowError | undefined {
  const app = error instanceof AppError ? error : mapDatabaseError(error, ['input', 'rows', row], ROW_FIELDS);
  if (!app) return undefined;
  const fields = (app.extensions.fields as { path: (string | number)[] }[] | undefined) ?? [];
  return { row, code: String(app.extensions.code), message: app.message, paths: fields.map((f) => f.path.map(String)) };
}

/**
 * Batch maintenance of the archive (paper 3.1). Each row runs in its own savepoint: a bad row is
 * reported with its field paths and leaves no trace; with allOrNothing the first error rolls the
 * whole batch back. Rows are keyed by account number, meter box barcode and meter asset number,
 * so re-running a file updates instead of duplicating.
 */
export async function importArchive(ctx: Context, input: ImportArchiveInput) {
  ctx.access.assert('import', 'Customer');
  for (const subject of ['Customer', 'MeterBox', 'Meter'] as const) ctx.access.assert('create', subject);
  if (input.rows.length === 0) throw badField(['input', 'rows'], 'must contain at least one row');
  if (input.rows.length > MAX_IMPORT_ROWS)
    throw badField(['input', 'rows'], `at most ${MAX_IMPORT_ROWS} rows per call`);

  const created = zero();
  const updated = zero();
  const errors: ImportRowError[] = [];
  const units = new Map<string, OrgUnit | null>();
  const orgWhere = ctx.access.requireWhere<OrgUnit>('read', 'OrgUnit');

  const unitByCode = async (em: EntityManager, code: string, path: (string | number)[]) => {
    if (!units.has(code)) units.set(code, await em.findOne(OrgUnit, { $and: [orgWhere, { code }] }));
    const unit = units.get(code);
    if (!unit) throw badField(path, `no accessible org unit with code ${code}`);
    return unit;
  };

  /** Existing rows are updated only where the user may update them. */
  const inScope = async <T extends object>(
    em: EntityManager,
    entity: new () => T,
    subject: 'Customer' | 'MeterBox' | 'Meter',
    id: number,
  ) => {
    const where = ctx.access.where<T>('update', subject);
    return where !== null && (await em.count(entity, { $and: [where, { id }] } as never)) > 0;
  };

  const importRow = async (em: EntityManager, raw: ArchiveImportRow, i: number) => {
    const root = ['input', 'rows', i];
    const row: Row = validate(rowSchema, raw, root);
    const unit = await unitByCode(em, row.orgUnitCode, [...root, 'orgUnitCode']);
    const counts = { created: zero(), updated: zero() };

    let box: MeterBox | null = null;
    if (row.meterBoxBarcode) {
      const area = row.meterBoxAreaCode
        ? await unitByCode(em, row.meterBoxAreaCode, [...root, 'meterBoxAreaCode'])
        : unit;
      box = await em.findOne(MeterBox, { barcode: row.meterBoxBarcode }, { populate: ['orgUnit'] });
      if (box) {
        if (!(await inScope(em, MeterBox, 'MeterBox', box.id)))
          throw badField([...root, 'meterBoxBarcode'], 'is already in use');
        box.address = row.address;
        box.orgUnit = area;
        if (row.latitude && row.longitude) Object.assign(box, { latitude: row.latitude, longitude: row.longitude });
        counts.updated.meterBoxes++;
      } else {
        box = em.create(MeterBox, {
          barcode: row.meterBoxBarcode,
          address: row.address,
          orgUnit: area,
          latitude: row.latitude ?? undefined,
          longitude: row.longitude ?? undefined,
        });
        counts.created.meterBoxes++;
      }
    }

    let customer = await em.findOne(Customer, { accountNo: row.accountNo });
    const customerFields = {
      name: row.customerName,
      category: row.category,
      address: row.address,
      contractedCapacity: row.contractedCapacity,
      orgUnit: unit,
      ...sealCustomerPersonalData(ctx.personalData, { phone: row.phone, idNumber: row.idNumber }),
      ...(row.billingDay ? { billingDay: row.billingDay } : {}),
    };
    if (customer) {
      if (!(await inScope(em, Customer, 'Customer', customer.id)))
        throw badField([...root, 'accountNo'], 'is already in use');
      em.assign(customer, customerFields);
      counts.updated.customers++;
    } else {
      customer = em.create(Customer, { accountNo: row.accountNo, ...customerFields });
      counts.created.customers++;
    }

    if (row.meterAssetNo) {
      let meter = await em.findOne(Meter, { assetNo: row.meterAssetNo });
      const meterFields = {
        barcode: row.meterBarcode!,
        commAddress: row.commAddress!,
        protocol: row.protocol!,
        manufacturer: row.manufacturer!,
        model: row.model!,
        accuracyClass: row.accuracyClass!,
        ...(row.ctRatio ? { ctRatio: row.ctRatio } : {}),
        ...(row.ptRatio ? { ptRatio: row.ptRatio } : {}),
      };
      if (meter) {
        if (!(await inScope(em, Meter, 'Meter', meter.id)))
          throw badField([...root, 'meterAssetNo'], 'is already in use');
        em.assign(meter, meterFields);
        counts.updated.meters++;
      } else {
        meter = em.create(Meter, {
          assetNo: row.meterAssetNo,
          ...meterFields,
          orgUnit: box?.orgUnit ?? unit,
          status: MeterStatus.IN_STOCK,
        });
        counts.created.meters++;
      }
      await em.flush();
      if (row.installedAt) {
        let point = await em.findOne(ServicePoint, { customer });
        point ??= em.create(ServicePoint, { code: `${row.accountNo}-1`, customer, meterBox: box ?? undefined });
        const open = await em.findOne(MeterAssignment, { servicePoint: point, removedAt: null });
        if (open && open.meter.id !== meter.id)
          throw badField(
            [...root, 'meterAssetNo'],
            'the customer already has another meter installed; use exchangeMeter',
          );
        if (!open) {
          if (meter.status !== MeterStatus.IN_STOCK)
            throw badField(
              [...root, 'meterAssetNo'],
              `the meter is ${meter.status}, only IN_STOCK meters can be installed`,
            );
          checkRegisterValue(meter, row.initialReading!, [...root, 'initialReading']);
          Object.assign(meter, {
            status: MeterStatus.INSTALLED,
            installedAt: row.installedAt,
            meterBox: box ?? undefined,
            orgUnit: box?.orgUnit ?? unit,
          });
          em.create(MeterAssignment, {
            meter,
            servicePoint: point,
            installedAt: row.installedAt,
            initialReading: row.initialReading!,
          });
          counts.created.installations++;
        }
      }
    }
    await em.flush();
    return counts;
  };

  const add = (into: ImportCounts, from: ImportCounts) => {
    for (const k of Object.keys(into) as (keyof ImportCounts)[]) into[k] += from[k];
  };

  let committed = true;
  try {
    await ctx.em.transactional(async (em) => {
      for (const [i, raw] of input.rows.entries()) {
        try {
          // A savepoint per row: a failing row rolls back only itself.
          const counts = await em.transactional((inner) => importRow(inner, raw, i));
          add(created, counts.created);
          add(updated, counts.updated);
        } catch (error) {
          const detail = toRowError(i, error);
          if (!detail) throw error;
          errors.push(detail);
          em.clear();
          units.clear();
          if (input.allOrNothing) throw new RowFailed(detail);
        }
      }
    });
  } catch (error) {
    if (!(error instanceof RowFailed)) throw error;
    committed = false;
  }
  if (!committed) {
    // Nothing was written: report no counts, but every row's problem is worth knowing, so validate the rest.
    for (const [i, raw] of input.rows.entries()) {
      if (errors.some((e) => e.row === i)) continue;
      try {
        validate(rowSchema, raw, ['input', 'rows', i]);
      } catch (error) {
        const detail = toRowError(i, error);
        if (detail) errors.push(detail);
      }
    }
    errors.sort((a, b) => a.row - b.row);
  }
  const failedRows = new Set(errors.map((e) => e.row)).size;
  ctx.logger.info(
    { event: 'archive_import', rows: input.rows.length, failedRows, committed, userId: ctx.access.user?.id },
    'archive import',
  );
  return {
    committed,
    succeededRows: committed ? input.rows.length - failedRows : 0,
    failedRows,
    created: committed ? created : zero(),
    updated: committed ? updated : zero(),
    errors,
  };
}
