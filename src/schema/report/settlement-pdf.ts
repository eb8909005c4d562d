import { DateTime } from 'luxon';
import PDFDocument from 'pdfkit';
import { addDays } from '../../billing/local-days.js';
import type { FontRef } from '../../config/config.js';
import type { SettlementReport } from './report.service.js';

type Align = 'left' | 'right';
interface Column {
  title: string;
  width: number;
  align?: Align;
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const CONTENT = A4.width - 2 * MARGIN;
const ROW = 14;
const INK = '#1a1a1a';
const RULE = '#9aa5b1';
const SHADE = '#e8edf2';
const ACCENT = '#1f4e79';

/**
 * For print: thousands separators and at least two decimals, on the exact decimal string (trailing
 * zeros beyond the second dropped, nothing rounded, no float on the way).
 */
export function grouped(value: string): string {
  const [int, frac = ''] = value.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = int!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}

const CATEGORY_ZH: Record<string, string> = {
  RESIDENTIAL: '居民',
  COMMERCIAL: '商业',
  INDUSTRIAL: '工业',
  AGRICULTURAL: '农业',
};
const BAND_ZH: Record<string, string> = { T1: '尖', T2: '峰', T3: '平', T4: '谷', FLAT: '单一' };
const STATUS_ZH: Record<string, string> = { DRAFT: '草稿', APPROVED: '已审核', ISSUED: '已发行', SUPERSEDED: '已作废' };

/**
 * The settlement report, print-ready on A4: title, unit, period and time of generation; totals by
 * category, TOU band, tier, line kind and transformer area (with each area's line loss); the
 * customers the latest run could not bill; then the list of bills. Page numbers on every page.
 * With no CJK font (`font` undefined), Chinese labels are left out and characters outside Latin-1
 * print as "?", so that the report still prints.
 */
export function settlementPdf(report: SettlementReport, font: FontRef | undefined): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 14, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: {
      Title: `Settlement report ${report.orgUnit.code} ${report.period}`,
      Author: 'Metergraph',
      CreationDate: report.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  if (font) doc.registerFont('body', font.path, font.name ?? '');
  else doc.registerFont('body', 'Helvetica');
  doc.font('body');
  const cjk = font !== undefined;
  const text = (s: string) => (cjk ? s : s.replace(/[^\u0020-\u00ff]/g, '?'));
  const zh = (en: string, chinese: string | undefined) => (cjk && chinese ? `${chinese} ${en}` : en);

  const heading = (title: string) => {
    if (doc.y + 3 * ROW > A4.height - MARGIN - 14) doc.addPage();
    doc.moveDown(0.6);
    doc.fontSize(11).fillColor(ACCENT).text(text(title), MARGIN, doc.y);
    doc.moveDown(0.2);
    doc.fillColor(INK);
  };

  const table = (columns: Column[], rows: string[][], options: { totalRow?: boolean; share?: number } = {}) => {
    const width = CONTENT * (options.share ?? 1);
    const widths = columns.map((c) => (c.width * width) / columns.reduce((s, x) => s + x.width, 0));
    const drawRow = (cells: string[], style: 'head' | 'body' | 'total', shaded: boolean) => {
      if (doc.y + ROW > A4.height - MARGIN - 14) {
        doc.addPage();
        drawRow(
          columns.map((c) => c.title),
          'head',
          true,
        );
      }
      const y = doc.y;
      if (shaded) doc.rect(MARGIN, y, width, ROW).fill(style === 'head' ? SHADE : '#f6f8fa');
      if (style !== 'body')
        doc
          .moveTo(MARGIN, y + ROW)
          .lineTo(MARGIN + width, y + ROW)
          .lineWidth(0.5)
          .strokeColor(RULE)
          .stroke();
      doc.fillColor(style === 'head' ? ACCENT : INK).fontSize(style === 'head' ? 7.5 : 8);
      let x = MARGIN;
      cells.forEach((cell, i) => {
        doc.text(text(cell), x + 3, y + 3.5, {
          width: widths[i]! - 6,
          align: columns[i]!.align ?? 'left',
          lineBreak: false,
          ellipsis: true,
          height: ROW,
        });
        x += widths[i]!;
      });
      doc.x = MARGIN;
      doc.y = y + ROW;
    };
    drawRow(
      columns.map((c) => c.title),
      'head',
      true,
    );
    rows.forEach((row, i) => {
      const last = options.totalRow && i === rows.length - 1;
      drawRow(row, last ? 'total' : 'body', !last && i % 2 === 1);
    });
    doc.fillColor(INK);
  };

  const { aggregate } = report;
  const local = DateTime.fromJSDate(report.generatedAt).setZone(report.timeZone);

  // Title block.
  doc.rect(0, 0, A4.width, 6).fill(ACCENT);
  doc
    .fillColor(INK)
    .fontSize(18)
    .text(text(zh('Settlement Report', '电费结算报表')), MARGIN, MARGIN);
  doc.moveDown(0.3);
  doc
    .fontSize(9)
    .fillColor('#444')
    .text(text(`${zh('Unit', '单位')}: ${report.orgUnit.name} (${report.orgUnit.code})`))
    .text(
      text(
        `${zh('Period', '结算月份')}: ${report.period}     ${zh('Generated', '生成时间')}: ${local.toFormat('yyyy-MM-dd HH:mm')} (${report.timeZone})`,
      ),
    )
    .text(
      text(
        `Bills counted: the current version of each customer's bill (latest not superseded). Versions: ${report.statusCounts
          .map((s) => `${s.status} ${s.count}`)
          .join(', ')}.`,
      ),
    );
  doc.moveDown(0.5);

  // Key figures.
  const figures: [string, string][] = [
    [zh('Customers', '户数'), String(aggregate.totals.customers)],
    [zh('Bills', '账单'), String(aggregate.totals.bills)],
    [zh('Energy kWh', '电量'), grouped(aggregate.totals.kwh)],
    [zh('Amount CNY', '电费'), grouped(aggregate.totals.amount)],
  ];
  const boxY = doc.y;
  const boxW = CONTENT / figures.length;
  figures.forEach(([label, value], i) => {
    const x = MARGIN + i * boxW;
    doc
      .rect(x + 2, boxY, boxW - 4, 40)
      .lineWidth(0.75)
      .strokeColor(RULE)
      .stroke();
    doc
      .fontSize(7.5)
      .fillColor('#555')
      .text(text(label), x + 8, boxY + 6, { width: boxW - 16 });
    doc
      .fontSize(12)
      .fillColor(INK)
      .text(text(value), x + 8, boxY + 19, { width: boxW - 16 });
  });
  doc.x = MARGIN;
  doc.y = boxY + 46;

  const totalRow = [
    'Total',
    String(aggregate.totals.customers),
    String(aggregate.totals.bills),
    grouped(aggregate.totals.kwh),
    grouped(aggregate.totals.amount),
  ];
  heading(zh('By customer category', '按用户类别'));
  table(
    [
      { title: 'Category', width: 3 },
      { title: 'Customers', width: 1.5, align: 'right' },
      { title: 'Bills', width: 1.5, align: 'right' },
      { title: 'kWh', width: 2.5, align: 'right' },
      { title: 'Amount CNY', width: 2.5, align: 'right' },
    ],
    [
      ...aggregate.byCategory.map((c) => [
        zh(c.key, CATEGORY_ZH[c.key]),
        String(c.customers),
        String(c.bills),
        grouped(c.kwh),
        grouped(c.amount),
      ]),
      totalRow,
    ],
    { totalRow: true },
  );

  heading(zh('By time-of-use band (energy charge)', '按分时段'));
  table(
    [
      { title: 'Band', width: 3 },
      { title: 'kWh', width: 2.5, align: 'right' },
      { title: 'Energy charge CNY', width: 2.5, align: 'right' },
    ],
    aggregate.byBand.map((b) => [zh(b.key, BAND_ZH[b.key]), grouped(b.kwh), grouped(b.amount)]),
    { share: 0.62 },
  );

  heading(zh('By tier', '按阶梯'));
  table(
    [
      { title: 'Tier', width: 3 },
      { title: 'kWh', width: 2.5, align: 'right' },
      { title: 'Tier adder CNY', width: 2.5, align: 'right' },
    ],
    aggregate.byTier.map((t) => [zh(`Tier ${t.key}`, `第${t.key}档`), grouped(t.kwh), grouped(t.amount)]),
    { share: 0.62 },
  );

  heading(zh('By line kind', '按费用类型'));
  table(
    [
      { title: 'Kind', width: 2.5 },
      { title: 'Quantity (kWh; FIXED: days)', width: 3, align: 'right' },
      { title: 'Amount CNY', width: 2.5, align: 'right' },
    ],
    aggregate.byKind.map((k) => [k.key, grouped(k.quantity), grouped(k.amount)]),
    { share: 0.62 },
  );

  heading(zh('By transformer area, with line loss of the month', '按台区（含线损）'));
  table(
    [
      { title: 'Area', width: 4.2 },
      { title: 'Cust.', width: 0.8, align: 'right' },
      { title: 'Billed kWh', width: 2, align: 'right' },
      { title: 'Amount CNY', width: 2, align: 'right' },
      { title: 'Supply kWh', width: 2, align: 'right' },
      { title: 'Loss kWh', width: 1.7, align: 'right' },
      { title: 'Loss %', width: 1, align: 'right' },
      { title: 'Band %', width: 1, align: 'right' },
      { title: 'OK', width: 0.7 },
    ],
    report.areas.map((a) => {
      const loss = a.lineLoss;
      return [
        a.area ? `${a.area.name} (${a.area.code})` : '(no area)',
        String(a.customers),
        grouped(a.kwh),
        grouped(a.amount),
        loss?.supplyKwh ? grouped(loss.supplyKwh) : '',
        loss?.lossKwh ? grouped(loss.lossKwh) : '',
        loss?.lossRate ?? (loss ? loss.status : ''),
        loss ? `${loss.band.min}-${loss.band.max}` : '',
        loss ? (loss.qualified ? 'yes' : 'NO') : '',
      ];
    }),
  );

  if (report.stations.length > 1) {
    heading(zh('By supply station', '按供电所'));
    table(
      [
        { title: 'Station', width: 4 },
        { title: 'Customers', width: 1.5, align: 'right' },
        { title: 'kWh', width: 2.5, align: 'right' },
        { title: 'Amount CNY', width: 2.5, align: 'right' },
      ],
      report.stations.map((s) => [
        s.station ? `${s.station.name} (${s.station.code})` : '(none)',
        String(s.customers),
        grouped(s.kwh),
        grouped(s.amount),
      ]),
    );
  }

  heading(zh(`Not billed by the latest run (${report.failures.length})`, '未能结算'));
  if (report.failures.length)
    table(
      [
        { title: 'Account no', width: 2 },
        { title: 'Code', width: 2 },
        { title: 'Reason', width: 6 },
      ],
      report.failures.map((f) => [f.accountNo, f.code, f.reason]),
    );
  else
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(report.latestRun ? 'None.' : 'No run of this unit and period.', MARGIN, doc.y);

  doc.addPage();
  heading(zh(`Bills (${report.bills.length})`, '账单明细'));
  table(
    [
      { title: 'Account no', width: 2.2 },
      { title: 'Name', width: 3 },
      { title: 'Category', width: 1.5 },
      { title: 'Area', width: 1.7 },
      { title: 'Cycle (last day incl.)', width: 2.7 },
      { title: 'Ver', width: 0.8, align: 'right' },
      { title: 'Status', width: 1.4 },
      { title: 'kWh', width: 2, align: 'right' },
      { title: 'Amount CNY', width: 1.9, align: 'right' },
    ],
    [
      ...report.bills.map(({ bill, customer, area }) => [
        customer.accountNo,
        customer.name,
        cjk ? (CATEGORY_ZH[customer.category] ?? customer.category) : customer.category,
        area?.code ?? '',
        `${bill.cycleStart} – ${addDays(bill.cycleEnd, -1).slice(5)}`,
        String(bill.version),
        cjk ? (STATUS_ZH[bill.status] ?? bill.status) : bill.status,
        grouped(bill.totalKwh),
        grouped(bill.totalAmount),
      ]),
      ['Total', '', '', '', '', '', '', grouped(aggregate.totals.kwh), grouped(aggregate.totals.amount)],
    ],
    { totalRow: true },
  );

  // Footer on every page, written into the bottom margin once the page count is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .fontSize(7.5)
      .fillColor('#666')
      .text(text(`Metergraph · ${report.orgUnit.code} · ${report.period}`), MARGIN, A4.height - MARGIN + 6, {
        width: CONTENT / 2,
        lineBreak: false,
      })
      .text(`Page ${i + 1} / ${range.count}`, MARGIN + CONTENT / 2, A4.height - MARGIN + 6, {
        width: CONTENT / 2,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
