import { DateTime } from 'luxon';
import { addDays } from '../billing/local-days.js';
import { grouped, MARGIN, pdfLayout, type PdfFont } from './pdf-layout.js';
import type { SettlementReportData } from './report-data.js';

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
export function settlementPdf(report: SettlementReportData, font: PdfFont | undefined): Promise<Buffer> {
  const layout = pdfLayout(
    { title: `Settlement report ${report.orgUnit.code} ${report.period}`, createdAt: report.generatedAt },
    font,
  );
  const { doc, cjk, text, zh, heading, table } = layout;

  const { aggregate } = report;
  const local = DateTime.fromJSDate(report.generatedAt).setZone(report.timeZone);

  // Title block.
  layout.title(zh('Settlement Report', '电费结算报表'));
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
  layout.keyFigures([
    [zh('Customers', '户数'), String(aggregate.totals.customers)],
    [zh('Bills', '账单'), String(aggregate.totals.bills)],
    [zh('Energy kWh', '电量'), grouped(aggregate.totals.kwh)],
    [zh('Amount CNY', '电费'), grouped(aggregate.totals.amount)],
  ]);

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

  return layout.finish(`Metergraph · ${report.orgUnit.code} · ${report.period}`);
}
