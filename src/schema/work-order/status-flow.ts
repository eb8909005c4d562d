import { WorkOrderStatus } from '../../orm/entities/enums.js';

/** What can be done to a work order, by whom: the manager (update rule) or an assignee. */
export type WorkOrderAction = 'assign' | 'start' | 'confirm' | 'approve' | 'reject' | 'close' | 'cancel' | 'visit';

const S = WorkOrderStatus;

/**
 * The statuses each action may start from. `assign` (and reassigning) is allowed until the work
 * is submitted; `start` also takes a REJECTED order back to work; `confirm` is each assignee's part
 * of the submission; `visit` records a stop while the work is under way; `cancel` closes an order
 * that was never approved (with a reason), `close` files an approved one.
 */
const FROM: Record<WorkOrderAction, readonly WorkOrderStatus[]> = {
  assign: [S.CREATED, S.ASSIGNED, S.IN_PROGRESS, S.REJECTED],
  start: [S.ASSIGNED, S.REJECTED],
  visit: [S.IN_PROGRESS],
  confirm: [S.IN_PROGRESS],
  approve: [S.SUBMITTED],
  reject: [S.SUBMITTED],
  close: [S.APPROVED],
  cancel: [S.CREATED, S.ASSIGNED, S.IN_PROGRESS, S.REJECTED],
};

/** Whether `action` may be taken on an order in `status`. */
export const allows = (status: WorkOrderStatus, action: WorkOrderAction): boolean => FROM[action].includes(status);

/** The statuses `action` may start from, for error messages. */
export const allowedFrom = (action: WorkOrderAction): readonly WorkOrderStatus[] => FROM[action];

/** Statuses in which the work is still open (counts as due, can be overdue). */
export const OPEN_STATUSES: readonly WorkOrderStatus[] = [S.CREATED, S.ASSIGNED, S.IN_PROGRESS, S.REJECTED];
