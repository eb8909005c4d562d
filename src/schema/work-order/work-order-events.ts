import { OrgUnit, type WorkOrder, WorkOrderAssignee, WorkOrderStatus } from '../../orm/entities/index.js';
import type { Context } from '../common/index.js';

/**
 * Tells subscribers that `order` changed (`change` names what happened). Call it after the change
 * is committed. `before` lists who was assigned until this change, so that people taken off an order
 * hear of it too.
 */
export async function publishWorkOrderChanged(
  ctx: Context,
  order: WorkOrder,
  change: string,
  before: readonly number[] = [],
): Promise<void> {
  const [unit, assignees] = await Promise.all([
    ctx.em.findOneOrFail(OrgUnit, order.orgUnit.id),
    ctx.em.find(WorkOrderAssignee, { workOrder: order.id }),
  ]);
  const assigneeIds = [...new Set([...assignees.map((a) => a.user.id), ...before])];
  ctx.events.publish('WORK_ORDER_CHANGED', { workOrderId: order.id, orgPath: unit.path, assigneeIds, change });
}

/** What a new order's event says: ASSIGNED when it was created with people, else CREATED. */
export const creationChange = (order: WorkOrder): string =>
  order.status === WorkOrderStatus.ASSIGNED ? 'ASSIGNED' : 'CREATED';
