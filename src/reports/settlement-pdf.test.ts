import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregateSettlement } from '../billing/settlement-report.js';
import { CJK_FONT_CANDIDATES, parseFontRef } from '../config/config.js';
import { grouped } from './pdf-layout.js';
import type { SettlementReportData } from './report-data.js';
import { settlementPdf } from './settlement-pdf.js';

const unit = { code: 'ST-YJ', name: '右江供电所' };
const bills = Array.from({ length: 120 }, (_, i) => ({
  bill: {
    version: 1,
    status: 'DRAFT',
    cycleStart: '2026-09-01',
    cycleEnd: '2026-10-01',
    totalKwh: '100.5',
    totalAmount: '55.28',
  },
  customer: {
    accountNo: `0601${String(i).padStart(8, '0')}`,
    name: i ? `Customer ${i}` : '李四',
    category: 'RESIDENTIAL',
  },
  station: unit,
  area: null,
  bandKwh: { FLAT: '100.5' },
}));
const report: SettlementReportData = {
  orgUnit: unit,
  period: '2026-10',
  generatedAt: new Date('2026-11-02T01:00:00Z'),
  timeZone: 'Asia/Shanghai',
  aggregate: aggregateSettlement([]),
  statusCounts: [],
  stations: [],
  areas: [],
  latestRun: null,
  failures: [],
  bills,
};

const pageCount = (pdf: Buffer) => Number(/\/Type \/Pages\s*\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1]);

describe('settlementPdf', () => {
  it('prints on A4 pages, with the built-in font when there is no CJK font', async () => {
    const pdf = await settlementPdf(report, undefined);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain('/MediaBox [0 0 595.28 841.89]');
    expect(pageCount(pdf)).toBeGreaterThanOrEqual(3);
    expect(pdf.toString('latin1')).toContain('Helvetica');
  });

  const cjk = CJK_FONT_CANDIDATES.map(parseFontRef).find((f) => existsSync(f.path));
  it.runIf(cjk)('embeds a subset of the CJK font for Chinese names', async () => {
    const pdf = await settlementPdf(report, cjk);
    expect(pdf.toString('latin1')).toContain(`+${cjk!.name}`);
    expect(pdf.toString('latin1')).not.toContain('Helvetica');
  });
});

describe('grouped', () => {
  it('groups thousands and shows at least two decimals, never rounding', () => {
    expect(['1234567.891', '0', '-1000', '12.5', '100.12345678', '999.10000000'].map(grouped)).toEqual([
      '1,234,567.891',
      '0.00',
      '-1,000.00',
      '12.50',
      '100.12345678',
      '999.10',
    ]);
  });
});
