import type { KpiFigures } from '../billing/kpis.js';
import type { SettlementAggregate } from '../billing/settlement-report.js';

// What the renderers print, in the shapes they read. The API's reports (settlementReport,
// kpiReport) are of these shapes; a renderer reads nothing else and queries nothing.

/** A unit as a report names it. */
export interface UnitName {
  code: string;
  name: string;
}

/** An area's line loss of the period, as the API computes it. */
export interface AreaLoss {
  status: string;
  supplyKwh: string | null;
  lossKwh: string | null;
  /** Percent; null when it could not be computed. */
  lossRate: string | null;
  band: { min: string; max: string };
  qualified: boolean;
}

export interface SettlementReportData {
  orgUnit: UnitName;
  /** YYYY-MM. */
  period: string;
  generatedAt: Date;
  timeZone: string;
  aggregate: SettlementAggregate;
  statusCounts: readonly { status: string; count: number }[];
  stations: readonly { station: UnitName | null; customers: number; bills: number; kwh: string; amount: string }[];
  areas: readonly {
    area: UnitName | null;
    customers: number;
    bills: number;
    kwh: string;
    amount: string;
    lineLoss: AreaLoss | null;
  }[];
  /** The unit's latest run of the period, if any (the report says when there was none). */
  latestRun: object | null;
  failures: readonly { accountNo: string; code: string; reason: string }[];
  bills: readonly {
    bill: {
      cycleStart: string;
      /** Exclusive. */
      cycleEnd: string;
      version: number;
      status: string;
      totalKwh: string;
      totalAmount: string;
    };
    customer: { accountNo: string; name: string; category: string };
    station: UnitName | null;
    area: UnitName | null;
    /** kWh of the energy lines per TOU band (T1..T4, FLAT). */
    bandKwh: Readonly<Record<string, string>>;
  }[];
}

export interface KpiReportData {
  orgUnit: UnitName & { kind: string };
  from: string;
  /** Exclusive: the first day after the period. */
  to: string;
  timeZone: string;
  generatedAt: Date;
  checkReadingToleranceKwh: string;
  /** The unit's figures; null when the caller may read only their own row. */
  unit: KpiFigures | null;
  /** The transformer areas behind the line-loss qualification rate. */
  lineLossAreas: readonly (AreaLoss & { area: UnitName })[] | null;
  people: readonly { user: { username: string; displayName: string; role: string }; figures: KpiFigures }[] | null;
}
