import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { RegisterCode } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';
import { ReadingType } from '../reading/index.js';
import { WorkOrderObject, WorkOrderStopObject } from '../work-order/index.js';

@ObjectType('ReadingRoute', {
  implements: NodeInterface,
  description:
    "A station's reading route: the meter boxes read on one billing day within one reading window, in walking order.",
})
export class ReadingRouteType extends NodeInterface {
  @Field()
  name!: string;

  @Field(() => Int, { description: 'Day of month (1-28): the billing day of the customers read on it.' })
  readingDay!: number;

  @Field({ description: 'Local time HH:MM the reading window opens.' })
  windowStart!: string;

  @Field({ description: 'Local time HH:MM it closes (the next day when not after the opening).' })
  windowEnd!: string;

  @Field()
  active!: boolean;

  @Field({ description: 'Built by generateReadingRoutes (and rebuilt by it); false once made or changed by hand.' })
  generated!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const ReadingRouteConnection = ConnectionType(ReadingRouteType, 'ReadingRoute');

@ObjectType('ReadingRouteBox', { description: 'A meter box on a route, at its place in the walk.' })
export class ReadingRouteBoxType {
  @Field(() => Int, { description: 'Place in the walk, from 1.' })
  seq!: number;

  /** Set by the service: the box's id, for the field resolver. */
  meterBoxId!: number;

  @Field(() => Int, { description: "Installed meters of the route's station in the box." })
  meterCount!: number;
}

@InputType()
export class ReadingRouteFilter {
  @Field(() => ID, { nullable: true, description: 'Routes of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => Int, { nullable: true })
  readingDay?: number;

  @Field(() => Boolean, { nullable: true })
  active?: boolean;
}

@InputType()
export class GenerateReadingRoutesInput {
  @Field(() => ID, { description: "The supply station whose customers' meter boxes are planned." })
  orgUnitId!: string;
}

@InputType()
export class CreateReadingRouteInput {
  @Field(() => ID, { description: 'The supply station the route belongs to.' })
  orgUnitId!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  readingDay!: number;

  @Field()
  windowStart!: string;

  @Field()
  windowEnd!: string;

  @Field(() => [ID], { description: 'Meter boxes of the station, in walking order; none on another active route.' })
  meterBoxIds!: string[];
}

@InputType()
export class UpdateReadingRouteInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field(() => Int, { nullable: true })
  readingDay?: number;

  @Field({ nullable: true })
  windowStart?: string;

  @Field({ nullable: true })
  windowEnd?: string;

  @Field(() => [ID], { nullable: true, description: 'The new boxes, in walking order (replaces the old).' })
  meterBoxIds?: string[];

  @Field(() => Boolean, { nullable: true })
  active?: boolean;
}

@ObjectType()
export class ReadingRoutePayload {
  @Field(() => ReadingRouteType)
  readingRoute!: ReadingRouteType;
}

@ObjectType()
export class GenerateReadingRoutesPayload {
  @Field(() => [ReadingRouteType], { description: "The station's generated routes, by day and window." })
  readingRoutes!: ReadingRouteType[];

  @Field(() => [ReadingRouteType], {
    description: 'Generated routes no longer needed (no box left on their terms), now inactive.',
  })
  deactivated!: ReadingRouteType[];
}

@InputType()
export class StartReadingRoundInput {
  @Field(() => ID)
  routeId!: string;

  @Field(() => Date, {
    nullable: true,
    description: "Default: the end of the reading window on the route's next reading day, local time.",
  })
  dueAt?: Date;

  @Field(() => [ID], { description: 'Who reads the round: two different people under the two-person rule.' })
  assigneeIds!: string[];
}

@ObjectType()
export class ReadingRoundPayload {
  @Field(() => WorkOrderObject)
  workOrder!: WorkOrderObject;

  @Field(() => [WorkOrderStopObject], { description: "One stop per installed meter, in the route's order." })
  stops!: WorkOrderStopObject[];
}

@InputType()
export class RecordStopReadingInput {
  @Field(() => ID)
  stopId!: string;

  @Field(() => DecimalScalar, { description: 'The register value read on the meter.' })
  value!: string;

  @Field(() => RegisterCode, { defaultValue: RegisterCode.FORWARD_ACTIVE_TOTAL })
  register!: RegisterCode;

  @Field(() => Date, { nullable: true, description: 'When it was read; default now.' })
  measuredAt?: Date;

  @Field(() => DecimalScalar, { nullable: true, description: 'Where it was read (WGS-84).' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => String, { nullable: true })
  note?: string;
}

@ObjectType()
export class StopReadingPayload {
  @Field(() => WorkOrderStopObject)
  stop!: WorkOrderStopObject;

  @Field(() => ReadingType, { description: 'The value as stored: source MANUAL, with the quality the checks gave it.' })
  reading!: ReadingType;
}

@InputType()
export class SkipStopInput {
  @Field(() => ID)
  stopId!: string;

  @Field({ description: 'Why the stop was not read (required).' })
  reason!: string;
}

@ObjectType()
export class StopPayload {
  @Field(() => WorkOrderStopObject)
  stop!: WorkOrderStopObject;
}

@InputType()
export class MetersDueForVerificationFilter {
  @Field(() => ID, { nullable: true, description: 'Meters owned by this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Due within this many days from today, local time (default 30; 0 is due by today).',
  })
  withinDays?: number;

  @Field(() => Boolean, { nullable: true, description: 'Only meters whose verification date has passed.' })
  overdueOnly?: boolean;
}

@InputType()
export class PlanVerificationWorkOrdersInput {
  @Field(() => ID, { description: 'The unit whose installed meters are planned (with every unit below it).' })
  orgUnitId!: string;

  @Field(() => Int, { nullable: true, description: 'Meters due within this many days (default 30).' })
  withinDays?: number;

  @Field(() => Date, {
    nullable: true,
    description: "Default: the end of the earliest verification date among the order's meters (today if passed).",
  })
  dueAt?: Date;

  @Field(() => [ID], {
    nullable: true,
    description: 'Who does the work: two different people under the two-person rule, or none yet.',
  })
  assigneeIds?: string[];
}

@ObjectType()
export class PlanVerificationWorkOrdersPayload {
  @Field(() => [WorkOrderObject], { description: 'The orders created: one per meter box (or box-less meter).' })
  workOrders!: WorkOrderObject[];

  @Field(() => Int, { description: 'Meters planned in them.' })
  meters!: number;
}
