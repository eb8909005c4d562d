import { z } from 'zod';
import { localMidnight, monthOf } from '../../billing/local-days.js';
import {
  aggregateSettlement,
  countByStatus,
  currentVersions,
  type ReportBill,
  type SettlementAggregate,
} from '../../billing/settlement-report.js';
import {
  Bill,
  BillLine,
  type BillLineKind,
  type BillStatus,
  type Customer,
  CustomerCategory,
  OrgUnit,
  OrgUnitKind,
  type SettlementFailure,
  SettlementRun,
} from '../../orm/entities/index.js';
import { validate } from '../../shared/validate.js';
import { type Context, escapeLike, loadPermitted } from '../common/index.js';
import { type AreaLineLossResult, lineLossOfAreas } from '../line-loss/index.js';
import { PERIOD, visibleBills } from '../settlement/index.js';
import { areasOfCustomers, customersOfArea, stationsOfPaths } from './customer-areas.js';
import { groupBy } from '../../shared/group-by.js';

/** A bill that counts in the report, with what the list in the exports shows of it. */
export interface SettlementReportBill {
  bill: Bill;
  customer: Customer;
  station: OrgUnit | null;
  area: OrgUnit | null;
  /** kWh of the ENERGY lines per TOU band (T1..T4, FLAT). */
  bandKwh: Record<string, string>;
}

export interface SettlementReport {
  orgUnit: OrgUnit;
  period: string;
  generatedAt: Date;
  timeZone: string;
  aggregate: SettlementAggregate;
  statusCounts: { status: BillStatus; count: number }[];
  stations: { station: OrgUnit | null; customers: number; bills: number; kwh: string; amount: string }[];
  areas: {
    area: OrgUnit | null;
    customers: number;
    bills: number;
    kwh: string;
    amount: string;
    lineLoss: AreaLineLossResult | null;
  }[];
  latestRun: SettlementRun | null;
  failures: SettlementFailure[];
  bills: SettlementReportBill[];
}

const reportSchema = z.object({ orgUnitId: z.string(), period: PERIOD });

/**
 * The settlement report of a unit for a month: the current version of each customer's bill under
 * the unit (visibleBills: the same bills `bills` shows the caller), their exact sums, each
 * transformer area's line loss for the calendar month (areas and readings the caller may read),
 * and the failures of the unit's latest run. A unit the caller may not read is a bad reference
 * (BAD_USER_INPUT at `orgUnitId`), as for every input naming a unit.
 */
export async function settlementReport(ctx: Context, orgUnitId: string, period: string): Promise<SettlementReport> {
  ctx.access.assert('read', 'OrgUnit');
  ctx.access.assert('read', 'Bill');
  ctx.access.assert('read', 'Customer');
  const args = validate(reportSchema, { orgUnitId, period });
  const unit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', args.orgUnitId, ['orgUnitId']);
  const timeZone = await ctx.loaders.effectiveTimeZone.load(unit.path);
  const month = monthOf(args.period);
  const where = visibleBills(ctx);
  // Customers belong to stations; a transformer area's are those whose meter is in it.
  const customers =
    unit.kind === OrgUnitKind.TRANSFORMER_AREA
      ? { id: { $in: await customersOfArea(ctx.em, unit.path, localMidnight(month.to, timeZone)) } }
      : { orgUnit: { path: { $like: `${escapeLike(unit.path)}%` } } };
  const versions =
    where === null
      ? []
      : await ctx.em.find(
          Bill,
          { $and: [where, { period: args.period, customer: customers }] },
          { populate: ['customer', 'customer.orgUnit'], orderBy: { id: 'asc' } },
        );
  const current = currentVersions(
    versions.map((bill) => ({ bill, customerId: bill.customer.id, version: bill.version, status: bill.status })),
  ).map((c) => c.bill);
  const lines = current.length
    ? await ctx.em.find(BillLine, { bill: { $in: current.map((b) => b.id) } }, { orderBy: { id: 'asc' } })
    : [];
  const linesOf = groupBy(lines, (line) => line.bill.id);

  const areaOf = await areasOfCustomers(
    ctx.em,
    current.map((b) => b.customer.id),
    localMidnight(month.to, timeZone),
  );
  const stationOf = await stationsOfPaths(
    ctx.em,
    current.map((b) => b.customer.orgUnit.path),
  );
  const unitIds = [...new Set([...areaOf.values(), ...stationOf.values()])];
  const units = new Map(
    (unitIds.length ? await ctx.em.find(OrgUnit, { id: { $in: unitIds } }) : []).map((u) => [u.id, u]),
  );

  const reportBills: ReportBill[] = current.map((bill) => ({
    id: bill.id,
    customerId: bill.customer.id,
    version: bill.version,
    status: bill.status,
    category: bill.customer.category,
    stationId: stationOf.get(bill.customer.orgUnit.path) ?? null,
    areaId: areaOf.get(bill.customer.id) ?? null,
    totalKwh: bill.totalKwh,
    totalAmount: bill.totalAmount,
    lines: (linesOf.get(bill.id) ?? []).map((l) => ({
      kind: l.kind,
      band: l.band,
      tier: l.tier,
      quantity: l.quantity,
      amount: l.amount,
    })),
  }));
  const aggregate = aggregateSettlement(reportBills);

  const lossOf = await permittedLineLoss(
    ctx,
    aggregate.byArea.flatMap((a) => (a.key === null ? [] : [a.key])),
    month,
  );
  const runWhere = ctx.access.where<SettlementRun>('read', 'SettlementRun');
  const latestRun =
    runWhere === null
      ? null
      : await ctx.em.findOne(
          SettlementRun,
          { $and: [runWhere, { orgUnit: unit.id, period: args.period }] },
          { orderBy: { id: 'desc' } },
        );

  return {
    orgUnit: unit,
    period: args.period,
    generatedAt: new Date(),
    timeZone,
    aggregate,
    statusCounts: countByStatus(versions) as SettlementReport['statusCounts'],
    stations: aggregate.byStation.map(({ key, ...totals }) => ({
      ...totals,
      station: key === null ? null : units.get(key)!,
    })),
    areas: aggregate.byArea.map(({ key, ...totals }) => ({
      ...totals,
      area: key === null ? null : units.get(key)!,
      lineLoss: key === null ? null : (lossOf.get(key) ?? null),
    })),
    latestRun,
    failures: latestRun?.failures ?? [],
    bills: current.map((bill, i) => ({
      bill,
      customer: bill.customer,
      station: reportBills[i]!.stationId === null ? null : units.get(reportBills[i]!.stationId!)!,
      area: reportBills[i]!.areaId === null ? null : units.get(reportBills[i]!.areaId!)!,
      bandKwh: bandKwhOf(reportBills[i]!),
    })),
  };
}

function bandKwhOf(bill: ReportBill): Record<string, string> {
  const { byBand } = aggregateSettlement([bill]);
  return Object.fromEntries(byBand.map((b) => [b.key, b.kwh]));
}

/**
 * Line loss of the report's areas that the caller may read, with their readings (a loss is a sum
 * over every meter of an area); a key limited to some channels never reads a whole area.
 */
async function permittedLineLoss(
  ctx: Context,
  areaIds: number[],
  month: { from: string; to: string },
): Promise<Map<number, AreaLineLossResult>> {
  if (!areaIds.length || ctx.access.channelIds || !ctx.access.can('read', 'Reading')) return new Map();
  const units = ctx.access.where<OrgUnit>('read', 'OrgUnit');
  const readings = ctx.access.whereOn<OrgUnit>('read', 'Reading', 'OrgUnit');
  if (units === null || readings === null) return new Map();
  const permitted = await ctx.em.find(
    OrgUnit,
    { $and: [units, readings, { id: { $in: areaIds }, kind: OrgUnitKind.TRANSFORMER_AREA }] },
    { fields: ['id'] },
  );
  return lineLossOfAreas(
    ctx.em,
    permitted.map((u) => u.id),
    month.from,
    month.to,
    ctx.config.defaultTimeZone,
  );
}

/** The report's sums by category in the API's shape (the aggregate keys them by name). */
export const categoryTotals = (aggregate: SettlementAggregate) =>
  aggregate.byCategory.map(({ key, ...totals }) => ({ ...totals, category: key as CustomerCategory }));

export const lineKindTotals = (aggregate: SettlementAggregate) =>
  aggregate.byKind.map(({ key, ...rest }) => ({ ...rest, kind: key as BillLineKind }));
