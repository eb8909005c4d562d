// Work orders and their stops: the status flow, assignees under the two-person rule, live changes.
import { WorkOrderAssigneeResolver, WorkOrderResolver, WorkOrderStopResolver } from './work-order.resolver.js';

export const resolvers = [WorkOrderResolver, WorkOrderAssigneeResolver, WorkOrderStopResolver] as const;

export { allowedFrom, allows, OPEN_STATUSES } from './status-flow.js';
export { checkAssignees, FIELD_ROLES, setAssignees } from './two-person-rule.js';
export { creationChange, publishWorkOrderChanged } from './work-order-events.js';
export { onReadableOrder, workOrderLoaders } from './work-order-loaders.js';
export { WorkOrderObject, WorkOrderStopObject } from './work-order.type.js';
