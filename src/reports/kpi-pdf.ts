import { DateTime } from 'luxon';
import type { KpiFigures, KpiRate } from '../billing/kpis.js';
import { addDays } from '../billing/local-days.js';
import { MARGIN, pdfLayout, type PdfFont } from './pdf-layout.js';
import type { KpiReportData } from './report-data.js';

const ROLE_ZH: Record<string, string> = { METER_READER: '抄表员', INSPECTOR: '用电检查员', STATION_MANAGER: '所长' };

/** Each rate: its names, a short label for the key figures, and how it is counted in a printable line. */
const RATES: [key: keyof KpiFigures, en: string, zh: string, short: string, how: string][] = [
  [
    'collectionSuccess',
    'Collection success',
    '采集成功率',
    'Collection',
    'collected frozen meter-days / meter-days under collection',
  ],
  ['coverage', 'Coverage', '覆盖率', 'Coverage', 'installed meters under collection / installed meters (at the end)'],
  [
    'lineLossQualification',
    'Line loss qualified',
    '线损合格率',
    'Line loss',
    'areas with their loss in band / areas with a computable loss',
  ],
  [
    'workOrderTimeliness',
    'Work order timeliness',
    '工单及时率',
    'Timeliness',
    'orders submitted by their due time / orders due (not cancelled)',
  ],
  [
    'abnormalityClosure',
    'Abnormality closure',
    '异常闭环率',
    'Closure',
    'alarms closed or cleared by the end / alarms raised',
  ],
  [
    'checkReadingAccuracy',
    'Check reading accuracy',
    '核抄准确率',
    'Check reading',
    'stops within the tolerance / visited stops with a difference',
  ],
];

const percent = (rate: KpiRate | null) => (rate ? (rate.rate === null ? '-' : `${rate.rate} %`) : '');
const working = (rate: KpiRate | null) => (rate ? `${rate.numerator}/${rate.denominator}  ${percent(rate)}` : '');

/**
 * The assessment report, print-ready on A4: unit, period (last day included) and time of
 * generation; the unit's key rates; each KPI with its working (counted, of, rate) and how it is
 * counted; the transformer areas behind the line loss; then one row per person.
 */
export function kpiPdf(report: KpiReportData, font: PdfFont | undefined): Promise<Buffer> {
  const layout = pdfLayout(
    { title: `Assessment report ${report.orgUnit.code} ${report.from} ${report.to}`, createdAt: report.generatedAt },
    font,
  );
  const { doc, cjk, text, zh, heading, table } = layout;
  const last = addDays(report.to, -1);
  const local = DateTime.fromJSDate(report.generatedAt).setZone(report.timeZone);

  layout.title(zh('Assessment Report', '考核报表'));
  doc
    .fontSize(9)
    .fillColor('#444')
    .text(text(`${zh('Unit', '单位')}: ${report.orgUnit.name} (${report.orgUnit.code})`))
    .text(
      text(
        `${zh('Period', '考核期间')}: ${report.from} – ${last} (last day included, ${report.timeZone})     ${zh('Generated', '生成时间')}: ${local.toFormat('yyyy-MM-dd HH:mm')}`,
      ),
    )
    .text(
      text(
        `Rates are counted / of, as a percentage rounded half up to 2 decimals. A check reading is accurate within ±${report.checkReadingToleranceKwh} kWh.`,
      ),
    );
  doc.moveDown(0.5);

  const unit = report.unit;
  if (unit) {
    layout.keyFigures(
      RATES.slice(0, 4).map(([key, , chinese, short]) => [zh(short, chinese), percent(unit[key] as KpiRate | null)]),
    );
    heading(zh('Unit figures', '单位指标'));
    table(
      [
        { title: 'KPI', width: 4.6 },
        { title: 'Counted', width: 1.1, align: 'right' },
        { title: 'Of', width: 1, align: 'right' },
        { title: 'Rate', width: 1.3, align: 'right' },
        { title: 'How it is counted', width: 6.8 },
      ],
      [
        ...RATES.map(([key, en, chinese, , how]) => {
          const rate = unit[key] as KpiRate | null;
          return [zh(en, chinese), String(rate?.numerator ?? ''), String(rate?.denominator ?? ''), percent(rate), how];
        }),
        [
          zh('Hazard points', '隐患积分'),
          String(unit.hazards.points),
          '',
          '',
          `${unit.hazards.verified} of ${unit.hazards.reported} reports verified`,
        ],
        [
          zh('Training completed', '培训完成'),
          String(unit.training.completed),
          '',
          '',
          `passed or attended; ${unit.training.failed} failed; ${unit.training.hours} hours`,
        ],
        [
          zh('Overdue verification', '超期未检定'),
          String(unit.metersOverdueVerification ?? ''),
          '',
          '',
          'installed meters due for periodic verification before the end',
        ],
      ],
    );
  } else {
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(text("The unit's figures are not shown to you: your own row only."), MARGIN, doc.y + 6);
  }

  if (report.lineLossAreas?.length) {
    heading(zh('Transformer areas: line loss of the period', '台区线损'));
    table(
      [
        { title: 'Area', width: 5 },
        { title: 'Status', width: 2.6 },
        { title: 'Loss %', width: 1.3, align: 'right' },
        { title: 'Band %', width: 1.5, align: 'right' },
        { title: 'Qualified', width: 1.2 },
      ],
      report.lineLossAreas.map((a) => [
        `${a.area.name} (${a.area.code})`,
        a.status,
        a.lossRate ?? '',
        `${a.band.min}-${a.band.max}`,
        a.status === 'OK' ? (a.qualified ? 'yes' : 'NO') : 'n/a',
      ]),
      { share: 0.8 },
    );
  }

  if (report.people) {
    heading(zh(`Staff (${report.people.length})`, '人员考核'));
    table(
      [
        { title: 'Name', width: 3 },
        { title: 'Role', width: 1.6 },
        { title: 'Timeliness', width: 2, align: 'right' },
        { title: 'Alarm follow-up', width: 2, align: 'right' },
        { title: 'Check accuracy', width: 2, align: 'right' },
        { title: 'Hazard points', width: 1.9, align: 'right' },
        { title: 'Training', width: 2.1, align: 'right' },
      ],
      report.people.map(({ user, figures }) => [
        `${user.displayName} (${user.username})`,
        cjk ? (ROLE_ZH[user.role] ?? user.role) : user.role,
        working(figures.workOrderTimeliness),
        working(figures.abnormalityClosure),
        working(figures.checkReadingAccuracy),
        `${figures.hazards.points} (${figures.hazards.verified})`,
        `${figures.training.completed} / ${figures.training.hours} h${figures.training.failed ? `, ${figures.training.failed} failed` : ''}`,
      ]),
    );
    doc
      .fontSize(7)
      .fillColor('#555')
      .text(
        text(
          'Per person: orders assigned to them; ALARM_FOLLOW_UP orders approved by the end; stops they visited; points (verified reports); courses completed / hours.',
        ),
        MARGIN,
        doc.y + 4,
      );
  }

  return layout.finish(`Metergraph · ${report.orgUnit.code} · ${report.from} – ${last}`);
}
