import type { FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { WorkOrder, WorkOrderStop } from '../../orm/entities/index.js';
import { type Context, perRequest, readableById } from '../common/index.js';

/**
 * Stops are read with their work order: a stop is visible when its order is. The order's read
 * condition as one on stops (an empty condition, everything, stays empty).
 */
export function onReadableOrder(where: FilterQuery<WorkOrder>): FilterQuery<WorkOrderStop> {
  return (Object.keys(where).length ? { workOrder: where } : {}) as FilterQuery<WorkOrderStop>;
}

function createWorkOrderLoaders(ctx: Context) {
  const { em, access } = ctx;
  return {
    workOrder: readableById(em, access, WorkOrder, 'WorkOrder'),
    /** Stops of the orders the caller may read. */
    stop: new DataLoader<number, WorkOrderStop | null>(async (ids) => {
      const where = access.where<WorkOrder>('read', 'WorkOrder');
      const rows =
        where === null
          ? []
          : await em.find(WorkOrderStop, {
              $and: [onReadableOrder(where), { id: { $in: [...ids] } }],
            } as FilterQuery<WorkOrderStop>);
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
  };
}

/** Work orders and stops by id, the caller's read rule applied, batched per request. */
export function workOrderLoaders(ctx: Context): ReturnType<typeof createWorkOrderLoaders> {
  return perRequest(ctx, createWorkOrderLoaders);
}
