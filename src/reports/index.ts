// Printed and downloadable reports: PDF and CSV made from what the API computed. Pure, like
// billing: no database, no GraphQL; the data comes in the shapes of report-data.ts.
export { kpiCsv } from './kpi-csv.js';
export { kpiPdf } from './kpi-pdf.js';
export type { PdfFont } from './pdf-layout.js';
export type { KpiReportData, SettlementReportData } from './report-data.js';
export { settlementCsv } from './settlement-csv.js';
export { settlementPdf } from './settlement-pdf.js';
