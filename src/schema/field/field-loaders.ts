import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import { FieldPhoto, HazardReport, WorkOrder, WorkOrderStop } from '../../orm/entities/index.js';
import type { Context } from '../common/context.js';
import { perRequest } from '../common/loaders.js';

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

/**
 * Stops are read with their work order: a stop is visible when its order is. The order's read
 * condition as one on stops (an empty condition, everything, stays empty).
 */
export function onReadableOrder(where: FilterQuery<WorkOrder>): FilterQuery<WorkOrderStop> {
  return (Object.keys(where).length ? { workOrder: where } : {}) as FilterQuery<WorkOrderStop>;
}

function createFieldLoaders(ctx: Context) {
  const { em, access } = ctx;
  const and = <T>(...conditions: FilterQuery<T>[]) => ({ $and: conditions }) as FilterQuery<T>;
  const byId = <T extends { id: number }>(load: (ids: number[]) => Promise<T[]>): DataLoader<number, T | null> =>
    new DataLoader(async (ids) => {
      const rows = await load([...ids]);
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    });
  const stopWhere = (): FilterQuery<WorkOrderStop> | null => {
    const where = access.where<WorkOrder>('read', 'WorkOrder');
    return where === null ? null : onReadableOrder(where);
  };
  return {
    workOrder: byId<WorkOrder>(async (ids) => {
      const where = access.where<WorkOrder>('read', 'WorkOrder');
      return where === null ? [] : em.find(WorkOrder, and<WorkOrder>(where, { id: { $in: ids } }));
    }),
    stop: byId<WorkOrderStop>(async (ids) => {
      const where = stopWhere();
      return where === null ? [] : em.find(WorkOrderStop, and<WorkOrderStop>(where, { id: { $in: ids } }));
    }),
    hazardReport: byId<HazardReport>(async (ids) => {
      const where = access.where<HazardReport>('read', 'HazardReport');
      return where === null ? [] : em.find(HazardReport, and<HazardReport>(where, { id: { $in: ids } }));
    }),
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
