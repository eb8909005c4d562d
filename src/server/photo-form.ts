import type { IncomingMessage } from 'node:http';
import { Busboy } from '@fastify/busboy';
import { AppError, ErrorCode, badField } from '../shared/errors.js';
import { tooLarge } from '../schema/field/index.js';

/** The text fields a photo form may carry (photo.service.ts validates their values). */
export const PHOTO_FORM_FIELDS = ['workOrderId', 'stopId', 'hazardReportId', 'latitude', 'longitude', 'takenAt'];
/** The form field that carries the file. */
export const FILE_FIELD = 'file';

/** Room for the form's fields and part headers on top of the file. */
const FORM_OVERHEAD = 64 * 1024;

export interface PhotoForm {
  fields: Record<string, string>;
  bytes: Buffer;
}

export const notMultipart = () =>
  new AppError(ErrorCode.BAD_USER_INPUT, 'The request must be multipart/form-data with one file', {
    fields: [{ path: [FILE_FIELD], message: 'must be sent as multipart/form-data' }],
    reason: 'UNSUPPORTED_TYPE',
  });

/**
 * Reads a photo upload: one file in the field `file` (at most `maxBytes`, kept in memory: a photo
 * is small and the store takes it whole) and a few short text fields, each at most once. A file
 * over the limit is read to its end and dropped, so that the client hears the refusal instead of a
 * reset connection; a body declared far larger than any photo is refused before it is read.
 */
export function readPhotoForm(req: IncomingMessage, maxBytes: number): Promise<PhotoForm> {
  const type = req.headers['content-type'];
  if (typeof type !== 'string' || !/^multipart\/form-data\s*;/i.test(type)) return Promise.reject(notMultipart());
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes + FORM_OVERHEAD) return Promise.reject(tooLarge(maxBytes));

  return new Promise<PhotoForm>((resolve, reject) => {
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let files = 0;
    let received = 0;
    let problem: AppError | undefined;
    const refuse = (error: AppError) => (problem ??= error);
    let parser;
    try {
      parser = new Busboy({
        headers: req.headers as never,
        limits: {
          fileSize: maxBytes,
          files: 1,
          fields: PHOTO_FORM_FIELDS.length,
          fieldSize: 256,
          fieldNameSize: 64,
          parts: 8,
        },
      });
    } catch {
      return reject(notMultipart());
    }
    parser.on('file', (name, stream) => {
      files++;
      if (name !== FILE_FIELD)
        refuse(badField([name], `is not a field of a photo upload; the file goes in "${FILE_FIELD}"`));
      stream.on('data', (chunk: Buffer) => {
        if (!problem) chunks.push(chunk);
      });
      stream.on('limit', () => refuse(tooLarge(maxBytes)));
    });
    parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (!PHOTO_FORM_FIELDS.includes(name)) refuse(badField([name], 'is not a field of a photo upload'));
      else if (name in fields) refuse(badField([name], 'is given more than once'));
      else if (valueTruncated) refuse(badField([name], 'is too long'));
      else fields[name] = value;
    });
    parser.on('filesLimit', () => refuse(badField([FILE_FIELD], 'must be exactly one file')));
    parser.on('fieldsLimit', () => refuse(badField([FILE_FIELD], 'has too many fields')));
    parser.on('partsLimit', () => refuse(badField([FILE_FIELD], 'has too many parts')));
    parser.on('error', () => {
      refuse(badField([FILE_FIELD], 'is not a well-formed multipart body'));
      req.unpipe(parser);
      req.resume();
      reject(problem);
    });
    parser.on('finish', () => {
      if (!problem && files === 0) refuse(badField([FILE_FIELD], 'is missing: send the photo in the field "file"'));
      if (problem) return reject(problem);
      resolve({ fields, bytes: Buffer.concat(chunks) });
    });
    // A body that goes on far past any photo (no or a false Content-Length) is cut off.
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes + FORM_OVERHEAD && !problem) {
        refuse(tooLarge(maxBytes));
        req.unpipe(parser);
        reject(problem);
      }
    });
    // A client that goes away mid-upload: nothing to keep, and nobody to answer.
    req.on('close', () => {
      if (!req.complete) reject(badField([FILE_FIELD], 'the upload was cut off'));
    });
    req.pipe(parser);
  });
}
