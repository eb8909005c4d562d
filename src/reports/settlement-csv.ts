import { Dec } from '../shared/decimal.js';
import { asText, toCsv } from './csv.js';
import type { SettlementReportData } from './report-data.js';

export const CSV_BANDS = ['T1', 'T2', 'T3', 'T4', 'FLAT'] as const;

export const CSV_HEADER = [
  'Account no',
  'Name',
  'Category',
  'Station',
  'Transformer area',
  'Cycle start',
  'Cycle end (exclusive)',
  'Version',
  'Status',
  'kWh',
  ...CSV_BANDS.map((b) => `${b} kWh`),
  'Amount (CNY)',
];

/**
 * The report as CSV: one row per bill that counts, then an empty row and the totals section
 * (grand total, by category, by TOU band, by tier, by area with line loss).
 */
export function settlementCsv(report: SettlementReportData): string {
  const rows: (string | number)[][] = [CSV_HEADER];
  for (const { bill, customer, station, area, bandKwh } of report.bills) {
    rows.push([
      asText(customer.accountNo),
      asText(customer.name),
      customer.category,
      asText(station?.code ?? ''),
      asText(area?.code ?? ''),
      bill.cycleStart,
      bill.cycleEnd,
      bill.version,
      bill.status,
      new Dec(bill.totalKwh).toFixed(),
      ...CSV_BANDS.map((b) => bandKwh[b] ?? ''),
      bill.totalAmount,
    ]);
  }
  const { totals, byCategory, byBand, byTier } = report.aggregate;
  rows.push([]);
  rows.push(['Section', 'Key', 'Customers', 'Bills', 'kWh', 'Amount (CNY)', 'Line loss %', 'Qualified']);
  rows.push([
    'Total',
    asText(`${report.orgUnit.code} ${report.period}`),
    totals.customers,
    totals.bills,
    totals.kwh,
    totals.amount,
  ]);
  for (const c of byCategory) rows.push(['Category', c.key, c.customers, c.bills, c.kwh, c.amount]);
  for (const b of byBand) rows.push(['Band', b.key, '', '', b.kwh, b.amount]);
  for (const t of byTier) rows.push(['Tier', t.key, '', '', t.kwh, t.amount]);
  for (const a of report.areas)
    rows.push([
      'Area',
      asText(a.area?.code ?? '(none)'),
      a.customers,
      a.bills,
      a.kwh,
      a.amount,
      a.lineLoss?.lossRate ?? '',
      a.lineLoss ? (a.lineLoss.qualified ? 'yes' : 'no') : '',
    ]);
  return toCsv(rows);
}
