import { Resolver } from 'type-graphql';
import type { WorkOrder, WorkOrderStop } from '../../orm/entities/index.js';
import { NodeResolver } from '../common/node.js';
import { WorkOrderObject, WorkOrderStopObject } from '../work-order/work-order.type.js';

/**
 * The global IDs of work orders and their stops, which field queries (scans, today's route,
 * photos) return. The work-order module's own resolvers take these over when they extend
 * NodeResolver for the same types; these two then go.
 */
@Resolver(() => WorkOrderObject)
export class WorkOrderIdResolver extends NodeResolver<WorkOrder>(WorkOrderObject, 'WorkOrder') {}

@Resolver(() => WorkOrderStopObject)
export class WorkOrderStopIdResolver extends NodeResolver<WorkOrderStop>(WorkOrderStopObject, 'WorkOrderStop') {}
