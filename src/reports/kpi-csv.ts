import type { KpiFigures, KpiRate } from '../billing/kpis.js';
import { asText, toCsv } from './csv.js';
import type { KpiReportData } from './report-data.js';

/** The rates of a row, in the order of the columns, with their working. */
export const RATE_COLUMNS: [key: keyof KpiFigures, title: string][] = [
  ['collectionSuccess', 'Collection success'],
  ['coverage', 'Coverage'],
  ['lineLossQualification', 'Line loss qualification'],
  ['workOrderTimeliness', 'Work order timeliness'],
  ['abnormalityClosure', 'Abnormality closure'],
  ['checkReadingAccuracy', 'Check reading accuracy'],
];

export const KPI_CSV_HEADER = [
  'Row',
  'Code or username',
  'Name',
  'Role',
  ...RATE_COLUMNS.flatMap(([, title]) => [`${title} counted`, `${title} of`, `${title} %`]),
  'Hazards reported',
  'Hazards verified',
  'Hazard points',
  'Training completed',
  'Training failed',
  'Training hours',
  'Meters overdue verification',
];

const rateCells = (rate: KpiRate | null) => (rate ? [rate.numerator, rate.denominator, rate.rate ?? ''] : ['', '', '']);

function figureCells(f: KpiFigures): (string | number)[] {
  return [
    ...RATE_COLUMNS.flatMap(([key]) => rateCells(f[key] as KpiRate | null)),
    f.hazards.reported,
    f.hazards.verified,
    f.hazards.points,
    f.training.completed,
    f.training.failed,
    f.training.hours,
    f.metersOverdueVerification ?? '',
  ];
}

/**
 * The report as CSV: one row for the unit (when the caller may read its figures) and one per
 * person, each rate as counted / of / percent so that a spreadsheet can check it; an empty row;
 * the period and the tolerance; then the transformer areas behind the line loss qualification.
 */
export function kpiCsv(report: KpiReportData): string {
  const rows: (string | number)[][] = [KPI_CSV_HEADER];
  if (report.unit)
    rows.push([
      'Unit',
      asText(report.orgUnit.code),
      asText(report.orgUnit.name),
      report.orgUnit.kind,
      ...figureCells(report.unit),
    ]);
  for (const { user, figures } of report.people ?? [])
    rows.push(['Person', asText(user.username), asText(user.displayName), user.role, ...figureCells(figures)]);
  rows.push([]);
  rows.push(['From', report.from]);
  rows.push(['To (exclusive)', report.to]);
  rows.push(['Time zone', report.timeZone]);
  rows.push(['Check reading tolerance kWh', report.checkReadingToleranceKwh]);
  if (report.lineLossAreas?.length) {
    rows.push([]);
    rows.push(['Area', 'Name', 'Status', 'Loss %', 'Band min %', 'Band max %', 'Qualified']);
    for (const a of report.lineLossAreas)
      rows.push([
        asText(a.area.code),
        asText(a.area.name),
        a.status,
        a.lossRate ?? '',
        a.band.min,
        a.band.max,
        a.qualified ? 'yes' : 'no',
      ]);
  }
  return toCsv(rows);
}
