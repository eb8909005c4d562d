import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { appendAudit } from '../auth/audit/audit-log.js';
import { actorOf, AuditTrail } from '../auth/audit/trail.js';
import type { Context } from '../schema/common/index.js';
import { createPhoto, photoForDownload, photoUrl, TOO_LARGE, UNSUPPORTED_TYPE } from '../schema/field/index.js';
import type { PhotoStore } from '../storage/index.js';
import { AppError, ErrorCode, unauthenticated } from '../shared/errors.js';
import { toGlobalId } from '../shared/global-id.js';
import { enrollmentRequired } from './enrollment-gate.js';
import { readPhotoForm } from './photo-form.js';
import { HTTP_STATUS, type ExportDeps } from './report-exports.js';

export interface FieldPhotoDeps extends ExportDeps {
  store: PhotoStore;
}

const REASON_STATUS: Record<string, number> = { [TOO_LARGE]: 413, [UNSUPPORTED_TYPE]: 415 };

/** An upload costs like a mutation that writes a file: more than a plain one. */
const UPLOAD_COST = 50;
const DOWNLOAD_COST = 10;

const requestIdOf = (req: Request) =>
  (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();

/** The API's error as JSON { code, message, fields }, with its HTTP status (413 and 415 for refused files). */
function sendError(deps: FieldPhotoDeps, res: Response, error: unknown, requestId: string): string {
  const known = error instanceof AppError ? error : undefined;
  const code = known ? String(known.extensions.code) : ErrorCode.INTERNAL;
  if (!known) deps.logger.error({ err: error, requestId }, 'field photo request failed');
  const retryAfter = known?.extensions.retryAfter;
  if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
  const status = REASON_STATUS[String(known?.extensions.reason)] ?? HTTP_STATUS[code] ?? 500;
  // A refused body may not have been read to its end: do not keep the connection for another request.
  if (status === 413) res.set('Connection', 'close');
  res.status(status).json({
    code,
    message: known ? known.message : 'Internal server error',
    ...(known?.extensions.fields ? { fields: known.extensions.fields } : {}),
  });
  return code;
}

/** The request's context, signed in and past the enrollment gate, its budget charged. */
async function signedIn(deps: FieldPhotoDeps, req: Request, audit: AuditTrail, cost: number): Promise<Context> {
  const ctx = await deps.context(req.headers.authorization, deps.clientIp(req), audit.requestId!, audit);
  if (!ctx.access.user) throw unauthenticated();
  if (ctx.access.enrollmentOnly) throw enrollmentRequired();
  await deps.rateLimits?.charge({ userId: ctx.access.user.id, ip: audit.ip }, cost);
  return ctx;
}

/**
 * POST /field/photos: a photo as multipart/form-data (one file in `file`; workOrderId, stopId or
 * hazardReportId, latitude, longitude, takenAt as text fields) with the same Bearer token as the
 * API. 201 with the photo's ID and URL; a file over PHOTO_MAX_BYTES is 413, one that is not a
 * JPEG, PNG or WebP by its content 415, both BAD_USER_INPUT at the path `file`. Every upload by a
 * signed-in caller is audited like a mutation, refused ones too.
 */
export function fieldPhotoUpload(deps: FieldPhotoDeps) {
  return async (req: Request, res: Response) => {
    const requestId = requestIdOf(req);
    const audit = new AuditTrail(deps.clientIp(req), requestId);
    let ctx: Context | undefined;
    let input: Record<string, unknown> = {};
    try {
      ctx = await signedIn(deps, req, audit, UPLOAD_COST);
      const form = await readPhotoForm(req, deps.config.photos.maxBytes);
      input = { ...form.fields, byteSize: form.bytes.length };
      const mark = audit.mark();
      const photo = await createPhoto(ctx, deps.store, form);
      const id = toGlobalId('FieldPhoto', photo.id);
      audit.record({
        action: 'uploadFieldPhoto',
        outcome: 'OK',
        actor: actorOf(ctx.access.user),
        details: { input, changes: audit.since(mark).changes },
      });
      // Recorded before the answer: an upload that cannot be recorded is not confirmed.
      await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit);
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({
          id,
          url: photoUrl(id),
          contentType: photo.contentType,
          byteSize: photo.byteSize,
          sha256: photo.sha256,
        });
    } catch (error) {
      // Whatever is left of a refused body is read and dropped (or the connection closed).
      req.resume();
      const code = sendError(deps, res, error, requestId);
      if (ctx?.access.user) {
        audit.record({
          action: 'uploadFieldPhoto',
          outcome: code,
          actor: actorOf(ctx.access.user),
          details: { input },
        });
        await appendAudit(ctx.em, deps.config.audit.key, audit.entries.splice(0), audit).catch((e: unknown) =>
          deps.logger.error({ err: e, requestId }, 'audit append failed'),
        );
      }
    }
  };
}

/**
 * GET /field/photos/:id: the photo's bytes, for callers who may read it (the same answer, 404, for
 * a photo that does not exist and one that is not theirs to see).
 */
export function fieldPhotoDownload(deps: FieldPhotoDeps) {
  return async (req: Request, res: Response) => {
    const requestId = requestIdOf(req);
    const audit = new AuditTrail(deps.clientIp(req), requestId);
    try {
      const ctx = await signedIn(deps, req, audit, DOWNLOAD_COST);
      const { photo, bytes } = await photoForDownload(ctx, deps.store, String(req.params.id));
      res
        .status(200)
        .set({
          'Content-Type': photo.contentType,
          'Content-Length': String(bytes.length),
          'Content-Disposition': 'inline',
          'Cache-Control': 'private, no-store',
          'X-Content-Type-Options': 'nosniff',
          ETag: `"${photo.sha256}"`,
        })
        .end(bytes);
    } catch (error) {
      sendError(deps, res, error, requestId);
    }
  };
}
