import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import { FieldPhoto, HazardReport } from '../../orm/entities/index.js';
import { type Context, perRequest, readableById } from '../common/index.js';

/** Photos a parent may list at most (a stop's or a report's handful, a long order's many). */
export const MAX_PHOTOS_PER_PARENT = 100;

/** What photos hang off: a work order, one of its stops, or a hazard report. */
export type PhotoParent = { workOrderId: number } | { stopId: number } | { hazardReportId: number };

const parentKey = (parent: PhotoParent) =>
  'workOrderId' in parent
    ? `workOrder:${parent.workOrderId}`
    : 'stopId' in parent
      ? `stop:${parent.stopId}`
      : `hazardReport:${parent.hazardReportId}`;

function createFieldLoaders(ctx: Context) {
  const { em, access } = ctx;
  const and = <T>(...conditions: FilterQuery<T>[]) => ({ $and: conditions }) as FilterQuery<T>;
  return {
    hazardReport: readableById(em, access, HazardReport, 'HazardReport'),
    /** Photos of many parents, the caller's read rule applied, oldest first; one statement per kind of parent. */
    photos: new DataLoader<PhotoParent, FieldPhoto[], string>(
      async (parents) => {
        const where = access.where<FieldPhoto>('read', 'FieldPhoto');
        if (where === null) return parents.map(() => []);
        const ids = (kind: string) =>
          parents.map(parentKey).flatMap((k) => (k.startsWith(`${kind}:`) ? [Number(k.split(':')[1])] : []));
        const or: FilterQuery<FieldPhoto>[] = [];
        for (const kind of ['workOrder', 'stop', 'hazardReport'] as const)
          if (ids(kind).length) or.push({ [kind]: { $in: ids(kind) } } as FilterQuery<FieldPhoto>);
        const rows = await em.find(FieldPhoto, and<FieldPhoto>(where, or.length === 1 ? or[0]! : { $or: or }), {
          orderBy: { createdAt: 'asc', id: 'asc' },
        });
        return parents.map((parent) => {
          const [kind, id] = parentKey(parent).split(':') as ['workOrder' | 'stop' | 'hazardReport', string];
          return rows.filter((r) => r[kind]?.id === Number(id)).slice(0, MAX_PHOTOS_PER_PARENT);
        });
      },
      { cacheKeyFn: parentKey },
    ),
  };
}

export type FieldLoaders = ReturnType<typeof createFieldLoaders>;

/** The field module's loaders of this request. */
export function fieldLoaders(ctx: Context): FieldLoaders {
  return perRequest(ctx, createFieldLoaders);
}

/**
 * The photos of a work order, a stop or a hazard report that the caller may see, oldest first (at
 * most MAX_PHOTOS_PER_PARENT), batched per request: e.g. `WorkOrder.photos` resolves with
 * `photosOf(ctx, { workOrderId: order.id })`.
 */
export function photosOf(ctx: Context, parent: PhotoParent): Promise<FieldPhoto[]> {
  return fieldLoaders(ctx).photos.load(parent);
}
