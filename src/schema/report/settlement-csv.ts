import { stringify } from 'csv-stringify/sync';
import { Dec } from '../../shared/decimal.js';
import type { SettlementReport } from './report.service.js';

/** Excel opens UTF-8 (Chinese names) only when the file starts with a byte order mark. */
const BOM = '\uFEFF';
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
 * Text a spreadsheet would take for a formula (=, +, -, @, tab, carriage return first) is kept as
 * text with a leading apostrophe: a customer's name must not run in the clerk's Excel. Applied to
 * free text only, never to the numbers.
 */
export function asText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180 (quotes doubled, fields with commas, quotes or line breaks quoted, CRLF) with a BOM. */
export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return (
    BOM + stringify(rows as (string | number)[][], { record_delimiter: 'windows', quoted_match: [/^\s|\s$/, /[\r\n]/] })
  );
}

/**
 * The report as CSV: one row per bill that counts, then an empty row and the totals section
 * (grand total, by category, by TOU band, by tier, by area with line loss).
 */
export function settlementCsv(report: SettlementReport): string {
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
