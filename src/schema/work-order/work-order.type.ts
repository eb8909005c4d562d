import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WorkOrderKind, WorkOrderStatus, WorkOrderStopStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';

registerEnumType(WorkOrderKind, {
  name: 'WorkOrderKind',
  description:
    'The field work the company assesses: check readings, inspections, meter work, verification, hazards, alarms.',
});
registerEnumType(WorkOrderStatus, {
  name: 'WorkOrderStatus',
  description:
    'CREATED -> ASSIGNED -> IN_PROGRESS -> SUBMITTED (every assignee confirmed) -> APPROVED or REJECTED (back to work) -> CLOSED; an order never approved can be closed as cancelled.',
});
registerEnumType(WorkOrderStopStatus, { name: 'WorkOrderStopStatus' });

@ObjectType('WorkOrder', {
  implements: NodeInterface,
  description: 'Field work given to named staff: a check-reading round, an inspection, a meter installation...',
})
export class WorkOrderObject extends NodeInterface {
  @Field(() => WorkOrderKind)
  kind!: WorkOrderKind;

  @Field(() => WorkOrderStatus)
  status!: WorkOrderStatus;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => Date)
  dueAt!: Date;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  assignedAt?: Date;

  @Field(() => Date, { nullable: true })
  startedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When the last assignee confirmed.' })
  submittedAt?: Date;

  @Field(() => String, { nullable: true, description: 'What the staff found and did.' })
  result?: string;

  @Field(() => Date, { nullable: true })
  reviewedAt?: Date;

  @Field(() => String, { nullable: true })
  reviewNote?: string;

  @Field(() => Int, { description: 'How many times it was sent back.' })
  rejections!: number;

  @Field(() => Date, { nullable: true })
  closedAt?: Date;

  @Field(() => String, { nullable: true, description: 'Closed before approval: why it was cancelled.' })
  cancelReason?: string;
}

export const WorkOrderConnection = ConnectionType(WorkOrderObject, 'WorkOrder');

@ObjectType('WorkOrderAssignee', { description: 'A person a work order is assigned to.' })
export class WorkOrderAssigneeObject {
  @Field(() => Date)
  assignedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When this person confirmed the submission.' })
  confirmedAt?: Date;
}

@ObjectType('WorkOrderStop', {
  implements: NodeInterface,
  description: 'A place the work order visits: a meter (with its box and customer) or a meter box.',
})
export class WorkOrderStopObject extends NodeInterface {
  @Field(() => Int, { description: 'Its place in the planned order, from 1.' })
  seq!: number;

  @Field(() => WorkOrderStopStatus)
  status!: WorkOrderStopStatus;

  @Field(() => Date, { nullable: true })
  visitedAt?: Date;

  @Field(() => DecimalScalar, { nullable: true, description: 'Where the visit was recorded (WGS-84).' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'kWh read in the field (stored as a MANUAL reading).' })
  fieldValue?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'The automatic value at the same moment, kWh.' })
  automaticValue?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'fieldValue - automaticValue, kWh.' })
  difference?: string;

  @Field(() => String, { nullable: true })
  note?: string;
}

@InputType()
export class WorkOrderFilter {
  @Field(() => [WorkOrderKind], { nullable: true })
  kinds?: WorkOrderKind[];

  @Field(() => [WorkOrderStatus], { nullable: true })
  statuses?: WorkOrderStatus[];

  @Field(() => ID, { nullable: true, description: 'Orders this user is assigned to.' })
  assigneeId?: string;

  @Field(() => Boolean, { nullable: true, description: "Only the caller's own orders (assigned to them)." })
  mine?: boolean;

  @Field(() => ID, { nullable: true, description: 'Orders of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => Date, { nullable: true, description: 'Due at or after.' })
  dueFrom?: Date;

  @Field(() => Date, { nullable: true, description: 'Due before.' })
  dueTo?: Date;

  @Field(() => Boolean, { nullable: true, description: 'Only open orders past their due time.' })
  overdue?: boolean;

  @Field(() => ID, { nullable: true })
  meterId?: string;

  @Field(() => ID, { nullable: true })
  meterBoxId?: string;

  @Field(() => ID, { nullable: true })
  customerId?: string;
}

@InputType({ description: 'A place to visit: a meter, or a meter box (all its meters).' })
export class WorkOrderStopInput {
  @Field(() => ID, { nullable: true })
  meterId?: string;

  @Field(() => ID, { nullable: true })
  meterBoxId?: string;
}

@InputType()
export class CreateWorkOrderInput {
  @Field(() => WorkOrderKind)
  kind!: WorkOrderKind;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => ID, { description: 'The unit responsible (a station or one of its transformer areas).' })
  orgUnitId!: string;

  @Field(() => Date)
  dueAt!: Date;

  @Field(() => [ID], {
    nullable: true,
    description: 'Who does it; under the two-person rule at least two different people (or none yet).',
  })
  assigneeIds?: string[];

  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => ID, { nullable: true })
  meterBoxId?: string;

  @Field(() => ID, { nullable: true })
  meterId?: string;

  @Field(() => ID, { nullable: true })
  transformerAreaId?: string;

  @Field(() => ID, { nullable: true, description: 'The alarm an ALARM_FOLLOW_UP order follows.' })
  alarmId?: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The verified hazard a HAZARD_RECTIFICATION order fixes (it becomes the report’s rectification).',
  })
  hazardReportId?: string;

  @Field(() => [WorkOrderStopInput], {
    nullable: true,
    description: 'Places to visit, in order; by default the meter or meter box the order is about.',
  })
  stops?: WorkOrderStopInput[];
}

@InputType()
export class AssignWorkOrderInput {
  @Field(() => ID)
  id!: string;

  @Field(() => [ID], { description: 'The new set of assignees (replaces the old; confirmations start over).' })
  assigneeIds!: string[];
}

@InputType()
export class BulkAssignWorkOrdersInput {
  @Field(() => [ID])
  ids!: string[];

  @Field(() => [ID])
  assigneeIds!: string[];
}

@InputType()
export class WorkOrderActionInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'A note: the review note, or what was done.' })
  note?: string;
}

@InputType()
export class ConfirmWorkOrderInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'What was found and done (the first confirmation sets it).' })
  result?: string;
}

@InputType()
export class CloseWorkOrderInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Required to close an order never approved (it is cancelled).' })
  cancelReason?: string;
}

@InputType()
export class SetWorkOrderKindSettingInput {
  @Field(() => WorkOrderKind)
  kind!: WorkOrderKind;

  @Field({ description: 'Whether orders of this kind need two different people.' })
  twoPersonRule!: boolean;
}

@ObjectType('WorkOrderKindSetting')
export class WorkOrderKindSettingObject {
  @Field(() => WorkOrderKind)
  kind!: WorkOrderKind;

  @Field()
  twoPersonRule!: boolean;
}

@ObjectType()
export class WorkOrderPayload {
  @Field(() => WorkOrderObject)
  workOrder!: WorkOrderObject;
}

@ObjectType()
export class BulkAssignWorkOrdersPayload {
  @Field(() => [WorkOrderObject])
  workOrders!: WorkOrderObject[];
}

@ObjectType()
export class WorkOrderKindSettingPayload {
  @Field(() => WorkOrderKindSettingObject)
  setting!: WorkOrderKindSettingObject;
}

@InputType()
export class WorkOrderChangedFilter {
  @Field(() => ID, { nullable: true })
  orgUnitSubtree?: string;
}

@ObjectType('WorkOrderChange', { description: 'A work order the subscriber is concerned with changed.' })
export class WorkOrderChangeObject {
  @Field({
    description:
      'CREATED, ASSIGNED, UNASSIGNED, STARTED, CONFIRMED, SUBMITTED, APPROVED, REJECTED, CLOSED, STOP_VISITED...',
  })
  change!: string;

  @Field(() => WorkOrderObject)
  workOrder!: WorkOrderObject;
}
