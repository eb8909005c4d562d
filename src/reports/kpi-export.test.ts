import { existsSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { kpiRate, type KpiFigures } from '../billing/kpis.js';
import { CJK_FONT_CANDIDATES, parseFontRef } from '../config/config.js';
import { KPI_CSV_HEADER, kpiCsv } from './kpi-csv.js';
import { kpiPdf } from './kpi-pdf.js';
import type { KpiReportData } from './report-data.js';

const unit: KpiFigures = {
  collectionSuccess: kpiRate(134, 140),
  coverage: kpiRate(5, 6),
  lineLossQualification: kpiRate(0, 0),
  workOrderTimeliness: kpiRate(4, 7),
  abnormalityClosure: kpiRate(2, 5),
  checkReadingAccuracy: kpiRate(3, 5),
  hazards: { reported: 6, verified: 4, points: 24 },
  training: { completed: 3, failed: 1, hours: '12' },
  metersOverdueVerification: 2,
};
const person: KpiFigures = {
  ...unit,
  collectionSuccess: null,
  coverage: null,
  lineLossQualification: null,
  metersOverdueVerification: null,
};
const report: KpiReportData = {
  orgUnit: { code: 'ST-KPI', name: '平安供电所', kind: 'SUPPLY_STATION' },
  from: '2026-09-01',
  to: '2026-10-01',
  timeZone: 'Asia/Shanghai',
  generatedAt: new Date('2026-10-02T01:00:00Z'),
  checkReadingToleranceKwh: '1',
  unit,
  lineLossAreas: [],
  people: [{ user: { username: 'r1', displayName: '=HYPERLINK("x")', role: 'METER_READER' }, figures: person }],
};

describe('kpiCsv', () => {
  const rows = () => parse(kpiCsv(report).replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];

  it('gives each rate its working, blank where a figure is the station level only', () => {
    const [header, unitRow, personRow] = rows();
    expect(header).toEqual(KPI_CSV_HEADER);
    const cell = (row: string[], title: string) => row[header!.indexOf(title)];
    expect(kpiCsv(report).startsWith('\uFEFF')).toBe(true);
    expect(unitRow!.slice(0, 3)).toEqual(['Unit', 'ST-KPI', '平安供电所']);
    expect(cell(unitRow!, 'Collection success %')).toBe('95.71');
    expect(cell(unitRow!, 'Line loss qualification of')).toBe('0');
    expect(cell(unitRow!, 'Line loss qualification %')).toBe('');
    expect(cell(personRow!, 'Coverage counted')).toBe('');
    expect(cell(personRow!, 'Work order timeliness %')).toBe('57.14');
  });

  it('keeps text that a spreadsheet would run as a formula as text', () => {
    expect(rows()[2]![2]).toBe(`'=HYPERLINK("x")`);
  });
});

describe('kpiPdf', () => {
  const pageCount = (pdf: Buffer) => Number(/\/Type \/Pages\s*\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1]);

  it('prints on A4 with the built-in font when there is no CJK font', async () => {
    const pdf = await kpiPdf(report, undefined);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain('/MediaBox [0 0 595.28 841.89]');
    expect(pageCount(pdf)).toBe(1);
  });

  it('prints the own row of a person who may not see the unit figures', async () => {
    const pdf = await kpiPdf({ ...report, unit: null, lineLossAreas: null }, undefined);
    expect(pageCount(pdf)).toBe(1);
  });

  const cjk = CJK_FONT_CANDIDATES.map(parseFontRef).find((f) => existsSync(f.path));
  it.runIf(cjk)('embeds a subset of the CJK font', async () => {
    const pdf = await kpiPdf(report, cjk);
    expect(pdf.toString('latin1')).toContain(`+${cjk!.name}`);
  });
});
