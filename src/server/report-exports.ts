import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { appendAudit } from '../auth/audit/audit-log.js';
import { actorOf, AuditTrail } from '../auth/audit/trail.js';
import type { Config } from '../config/config.js';
import type { Context } from '../schema/common/context.js';
import { settlementReport } from '../schema/report/report.service.js';
import { settlementCsv } from '../schema/report/settlement-csv.js';
import { settlementPdf } from '../schema/report/settlement-pdf.js';
import { AppError, ErrorCode, unauthenticated } from '../shared/errors.js';
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

const STATUS: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
};

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', pdf: 'application/pdf' } as const;
export type ExportFormat = keyof typeof CONTENT_TYPES;

/** A file name safe in a header: the unit's code and the period. */
export const exportFileName = (code: string, period: string, format: ExportFormat) =>
  `settlement-${code.replace(/[^A-Za-z0-9_-]+/g, '_')}-${period}.${format}`;

/** One query parameter as a single string ('' when absent or repeated). */
const param = (req: Request, name: string) => {
  const value = req.query[name];
  return typeof value === 'string' ? value : '';
};

/**
 * GET /reports/settlement.csv|pdf?orgUnitId=&period=: the settlement report as a download, for
 * the same callers and with the same rules as the `settlementReport` query. The request goes through
 * the GraphQL context (Bearer token, login policy, permissions), the enrollment gate and the rate
 * limit (charged like the query); errors are JSON { code, message } with the API's codes. Every
 * export an authenticated caller asks for is recorded in the audit log, refused ones too: it hands
 * customers' bills out of the system.
 */
export function settlementExport(deps: ExportDeps, format: ExportFormat) {
  return async (req: Request, res: Response) => {
    const requestId =
      (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
    const ip = deps.clientIp(req);
    const audit = new AuditTrail(ip, requestId);
    let ctx: Context | undefined;
    const orgUnitId = param(req, 'orgUnitId');
    const period = param(req, 'period');
    try {
      ctx = await deps.context(req.headers.authorization, ip, requestId, audit);
      if (!ctx.access.user) throw unauthenticated();
      if (ctx.access.enrollmentOnly) throw enrollmentRequired();
      await deps.rateLimits?.charge({ userId: ctx.access.user.id, ip }, 1 + (FIELD_WEIGHTS.settlementReport ?? 0));
      const report = await settlementReport(ctx, orgUnitId, period);
      const body = format === 'csv' ? settlementCsv(report) : await settlementPdf(report, deps.config.reports.font);
      const fileName = exportFileName(report.orgUnit.code, report.period, format);
      audit.record({
        action: 'exportSettlementReport',
        outcome: 'OK',
        actor: actorOf(ctx.access.user),
        details: { format, orgUnitId, period, bills: report.bills.length, amount: report.aggregate.totals.amount },
      });
      // Recorded before the file leaves: an export that cannot be recorded is not sent.
      await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit);
      res
        .status(200)
        .set({
          'Content-Type': CONTENT_TYPES[format],
          'Content-Disposition': `attachment; filename="${fileName}"`,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        })
        .send(body);
    } catch (error) {
      const known = error instanceof AppError ? error : undefined;
      const code = known ? String(known.extensions.code) : ErrorCode.INTERNAL;
      if (!known) deps.logger.error({ err: error, requestId }, 'settlement report export failed');
      if (ctx?.access.user) {
        audit.record({
          action: 'exportSettlementReport',
          outcome: code,
          actor: actorOf(ctx.access.user),
          details: { format, orgUnitId, period },
        });
        await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit).catch((e: unknown) =>
          deps.logger.error({ err: e, requestId }, 'audit append failed'),
        );
      }
      const retryAfter = known?.extensions.retryAfter;
      if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
      res.status(STATUS[code] ?? 500).json({
        code,
        message: known ? known.message : 'Internal server error',
        ...(known?.extensions.fields ? { fields: known.extensions.fields } : {}),
      });
    }
  };
}
