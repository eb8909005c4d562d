// The field apps: barcode scans, today's stops in visiting order, positions, the day's statistics,
// photos (on work orders, stops and hazard reports).
import {
  FieldApiResolver,
  FieldPhotoResolver,
  HazardReportPhotosResolver,
  WorkOrderPhotosResolver,
  WorkOrderStopPhotosResolver,
} from './field.resolver.js';

export const resolvers = [
  FieldApiResolver,
  FieldPhotoResolver,
  WorkOrderPhotosResolver,
  WorkOrderStopPhotosResolver,
  HazardReportPhotosResolver,
] as const;

export { photoUrl } from './field.resolver.js';
export { createPhoto, photoForDownload, TOO_LARGE, tooLarge, UNSUPPORTED_TYPE } from './photo.service.js';
