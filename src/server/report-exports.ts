import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { appendAudit } from '../auth/audit/audit-log.js';
import { actorOf, AuditTrail } from '../auth/audit/trail.js';
import type { Config, FontRef } from '../config/config.js';
import { kpiCsv, kpiPdf, settlementCsv, settlementPdf } from '../reports/index.js';
import { kpiReport } from '../schema/assessment/index.js';
import type { Context } from '../schema/common/index.js';
import { settlementReport } from '../schema/report/index.js';
import { AppError, badField, ErrorCode, unauthenticated } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { enrollmentRequired } from './enrollment-gate.js';
import { FIELD_WEIGHTS, type RateLimits } from './rate-limit.js';

export interface ExportDeps {
  config: Config;
  logger: Logger;
  rateLimits: RateLimits | undefined;
  /** The GraphQL request context (same authentication, permissions and audit trail). */
  context(authorization: unknown, ip: string | undefined, requestId: string, audit: AuditTrail): Promise<Context>;
  clientIp(req: Request): string | undefined;
}

/** The HTTP status of each error code, for the routes outside GraphQL (exports, photos). */
export const HTTP_STATUS: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
};

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', pdf: 'application/pdf' } as const;
export type ExportFormat = keyof typeof CONTENT_TYPES;

const safeCode = (code: string) => code.replace(/[^A-Za-z0-9_-]+/g, '_');

/** A file name safe in a header: the unit's code and the period. */
export const exportFileName = (code: string, period: string, format: ExportFormat) =>
  `settlement-${safeCode(code)}-${period}.${format}`;

/** The assessment report's: the unit's code and the dates from and to (exclusive) as asked. */
export const kpiFileName = (code: string, from: string, to: string, format: ExportFormat) =>
  `kpis-${safeCode(code)}-${from}-${to}.${format}`;

/** One query parameter as a single string ('' when absent or repeated). */
const param = (req: Request, name: string) => {
  const value = req.query[name];
  return typeof value === 'string' ? value : '';
};

/** A report that can be downloaded: how to load it from the query, render it, name it and audit it. */
interface ExportSpec<R> {
  /** The GraphQL field it mirrors: an export is charged its rate-limit weight. */
  field: string;
  /** The audit log's action. */
  action: string;
  /** The query parameters it takes (recorded in the audit log with every export). */
  params: readonly string[];
  load(ctx: Context, params: Record<string, string>): Promise<R>;
  render(report: R, format: ExportFormat, font: FontRef | undefined): string | Promise<Buffer>;
  fileName(report: R, format: ExportFormat): string;
  /** What the audit log records of a report sent. */
  summary(report: R): Record<string, unknown>;
}

/**
 * GET /reports/<name>.csv|pdf: a report as a download, for the same callers and with the same rules
 * as its GraphQL query. The request goes through the GraphQL context (Bearer token, login policy,
 * permissions), the enrollment gate and the rate limit (charged like the query); errors are JSON
 * { code, message } with the API's codes. Every export an authenticated caller asks for is
 * recorded in the audit log, refused ones too: it hands data out of the system.
 */
function reportExport<R>(deps: ExportDeps, format: ExportFormat, spec: ExportSpec<R>) {
  return async (req: Request, res: Response) => {
    const requestId =
      (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
    const ip = deps.clientIp(req);
    const audit = new AuditTrail(ip, requestId);
    let ctx: Context | undefined;
    const params = Object.fromEntries(spec.params.map((name) => [name, param(req, name)]));
    try {
      ctx = await deps.context(req.headers.authorization, ip, requestId, audit);
      if (!ctx.access.user) throw unauthenticated();
      if (ctx.access.enrollmentOnly) throw enrollmentRequired();
      await deps.rateLimits?.charge({ userId: ctx.access.user.id, ip }, 1 + (FIELD_WEIGHTS[spec.field] ?? 0));
      const report = await spec.load(ctx, params);
      const body = await spec.render(report, format, deps.config.reports.font);
      audit.record({
        action: spec.action,
        outcome: 'OK',
        actor: actorOf(ctx.access.user),
        details: { format, ...params, ...spec.summary(report) },
      });
      // Recorded before the file leaves: an export that cannot be recorded is not sent.
      await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit);
      res
        .status(200)
        .set({
          'Content-Type': CONTENT_TYPES[format],
          'Content-Disposition': `attachment; filename="${spec.fileName(report, format)}"`,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        })
        .send(body);
    } catch (error) {
      const known = error instanceof AppError ? error : undefined;
      const code = known ? String(known.extensions.code) : ErrorCode.INTERNAL;
      if (!known) deps.logger.error({ err: error, requestId }, `${spec.field} export failed`);
      if (ctx?.access.user) {
        audit.record({
          action: spec.action,
          outcome: code,
          actor: actorOf(ctx.access.user),
          details: { format, ...params },
        });
        await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit).catch((e: unknown) =>
          deps.logger.error({ err: e, requestId }, 'audit append failed'),
        );
      }
      const retryAfter = known?.extensions.retryAfter;
      if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
      res.status(HTTP_STATUS[code] ?? 500).json({
        code,
        message: known ? known.message : 'Internal server error',
        ...(known?.extensions.fields ? { fields: known.extensions.fields } : {}),
      });
    }
  };
}

/** GET /reports/settlement.csv|pdf?orgUnitId=&period=: the `settlementReport` query as a file. */
export function settlementExport(deps: ExportDeps, format: ExportFormat) {
  return reportExport(deps, format, {
    field: 'settlementReport',
    action: 'exportSettlementReport',
    params: ['orgUnitId', 'period'],
    load: (ctx, p) => settlementReport(ctx, p.orgUnitId!, p.period!),
    render: (report, f, font) => (f === 'csv' ? settlementCsv(report) : settlementPdf(report, font)),
    fileName: (report, f) => exportFileName(report.orgUnit.code, report.period, f),
    summary: (report) => ({ bills: report.bills.length, amount: report.aggregate.totals.amount }),
  });
}

/** `people` as a query parameter: a printed assessment lists the staff unless told not to. */
function peopleParam(value: string): boolean {
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badField(['people'], 'must be true or false');
}

/**
 * GET /reports/kpis.csv|pdf?orgUnitId=&from=&to=[&people=false]: the `kpis` query as a file, with
 * the people of the unit unless `people=false`.
 */
export function kpiExport(deps: ExportDeps, format: ExportFormat) {
  return reportExport(deps, format, {
    field: 'kpis',
    action: 'exportKpiReport',
    params: ['orgUnitId', 'from', 'to', 'people'],
    load: (ctx, p) =>
      kpiReport(ctx, { orgUnitId: p.orgUnitId!, from: p.from!, to: p.to!, people: peopleParam(p.people!) }, []),
    render: (report, f, font) => (f === 'csv' ? kpiCsv(report) : kpiPdf(report, font)),
    fileName: (report, f) => kpiFileName(report.orgUnit.code, report.from, report.to, f),
    summary: (report) => ({ unit: report.unit !== null, people: report.people?.length ?? 0 }),
  });
}
