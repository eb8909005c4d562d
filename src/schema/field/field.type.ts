import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AlarmObject } from '../alarm/index.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { MeterType } from '../meter/index.js';
import { ReadingType } from '../reading/index.js';
import { UserType } from '../user/index.js';
import { WorkOrderObject, WorkOrderStopObject } from '../work-order/index.js';

export enum ScanKind {
  METER = 'METER',
  METER_BOX = 'METER_BOX',
}
registerEnumType(ScanKind, { name: 'ScanKind', description: 'What a scanned code turned out to be.' });

@ObjectType('ScannedMeter', { description: 'A meter found by a scan, with who it measures and what it last read.' })
export class ScannedMeterObject {
  @Field(() => MeterType)
  meter!: MeterType;

  @Field(() => CustomerType, { nullable: true, description: 'The customer the meter measures now.' })
  customer?: CustomerType;

  @Field(() => [ReadingType], { description: 'The newest reading of each register the meter has.' })
  latestReadings!: ReadingType[];
}

@ObjectType('BarcodeScan', {
  description: 'What a scanned meter or meter box barcode leads to, for a field worker standing in front of it.',
})
export class BarcodeScanObject {
  @Field(() => ScanKind)
  kind!: ScanKind;

  @Field(() => MeterType, { nullable: true, description: 'The meter scanned (kind METER).' })
  meter?: MeterType;

  @Field(() => MeterBoxType, { nullable: true, description: "The box scanned, or the scanned meter's box." })
  meterBox?: MeterBoxType;

  @Field(() => [ScannedMeterObject], { description: 'The meter scanned, or the meters of the box scanned.' })
  meters!: ScannedMeterObject[];

  @Field(() => [CustomerType], { description: 'The customers on those meters now.' })
  customers!: CustomerType[];

  @Field(() => [AlarmObject], { description: 'Open and acknowledged alarms of those meters, newest first.' })
  openAlarms!: AlarmObject[];

  @Field(() => [WorkOrderObject], {
    description:
      'Work not yet approved or closed about the meter, the box or a customer on them, or with a stop there; soonest due first.',
  })
  openTasks!: WorkOrderObject[];
}

@ObjectType('FieldPhoto', {
  implements: NodeInterface,
  description: 'Photo evidence from the field: uploaded with POST /field/photos, downloaded from `url`.',
})
export class FieldPhotoObject extends NodeInterface {
  @Field({ description: 'image/jpeg, image/png or image/webp, as the file itself says.' })
  contentType!: string;

  @Field(() => Int)
  byteSize!: number;

  @Field({ description: 'Hex SHA-256 of the file as received.' })
  sha256!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Where it was taken (WGS-84).' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => Date, { nullable: true, description: "When it was taken, by the phone's clock." })
  takenAt?: Date;

  @Field(() => Date, { description: 'When the server received it.' })
  createdAt!: Date;
}

@InputType({ description: 'A WGS-84 position. More than 6 decimals (about 0.1 m) are rounded to 6.' })
export class GeoPointInput {
  @Field(() => DecimalScalar, { description: 'Degrees, -90 to 90.' })
  latitude!: string;

  @Field(() => DecimalScalar, { description: 'Degrees, -180 to 180.' })
  longitude!: string;
}

@InputType()
export class RecordPositionInput {
  @Field(() => DecimalScalar, { description: 'Degrees, -90 to 90.' })
  latitude!: string;

  @Field(() => DecimalScalar, { description: 'Degrees, -180 to 180.' })
  longitude!: string;

  @Field(() => DecimalScalar, { nullable: true, description: "Radius of the phone's uncertainty, metres." })
  accuracyMeters?: string;

  @Field(() => Date, {
    nullable: true,
    description: 'When the phone measured it (default now); at most 7 days back and 5 minutes ahead.',
  })
  recordedAt?: Date;
}

@ObjectType('WorkerPosition', { description: 'Where a field worker was, as their phone reported it.' })
export class WorkerPositionObject {
  @Field(() => DecimalScalar)
  latitude!: string;

  @Field(() => DecimalScalar)
  longitude!: string;

  @Field(() => DecimalScalar, { nullable: true })
  accuracyMeters?: string;

  @Field(() => Date, { description: 'When the phone measured it.' })
  recordedAt!: Date;

  @Field(() => Date, { description: 'When the server received it.' })
  receivedAt!: Date;
}

@ObjectType()
export class RecordPositionPayload {
  @Field(() => WorkerPositionObject)
  position!: WorkerPositionObject;
}

@ObjectType('StaffPosition', { description: 'A field worker and the latest position they sent (null: none yet).' })
export class StaffPositionObject {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => WorkerPositionObject, { nullable: true })
  position?: WorkerPositionObject;
}

export const StaffPositionConnection = ConnectionType(StaffPositionObject, 'StaffPosition');

@ObjectType('RouteStop', { description: 'A stop of the day, in visiting order, with the walk to it.' })
export class RouteStopObject {
  @Field(() => WorkOrderStopObject)
  stop!: WorkOrderStopObject;

  @Field(() => WorkOrderObject)
  workOrder!: WorkOrderObject;

  @Field(() => MeterBoxType, { nullable: true, description: "The box visited: the stop's, or its meter's." })
  meterBox?: MeterBoxType;

  @Field(() => MeterType, { nullable: true })
  meter?: MeterType;

  @Field(() => CustomerType, { nullable: true })
  customer?: CustomerType;

  @Field(() => Date, { description: "The work order's due time." })
  dueAt!: Date;

  @Field({ description: 'Due before now.' })
  overdue!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: "The box's latitude; null when the box has no position." })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Metres from the previous stop (the start for the first), straight line; null without a position.',
  })
  distanceFromPreviousMeters?: number | null;

  @Field(() => Int, { description: 'Metres walked from the start up to this stop.' })
  cumulativeDistanceMeters!: number;
}

@ObjectType('TodayRoute', {
  description:
    "The caller's pending stops due by the end of the local day (or overdue), in a good visiting order from where they stand.",
})
export class TodayRouteObject {
  @Field(() => LocalDateScalar, { description: "Today in the caller's unit's time zone." })
  date!: string;

  @Field()
  timeZone!: string;

  @Field(() => [RouteStopObject], { description: 'Stops with a position first, in visiting order; the rest last.' })
  stops!: RouteStopObject[];

  @Field(() => Int, { description: 'Metres from the start through every stop with a position.' })
  totalDistanceMeters!: number;

  @Field({ description: 'More stops are due than one route takes: the soonest due were routed.' })
  truncated!: boolean;
}

@ObjectType('FieldStatistics', {
  description:
    "The caller's own field work on one local day (their unit's time zone). Stops count by who recorded the visit; readings are the field readings of those visits.",
})
export class FieldStatisticsObject {
  @Field(() => LocalDateScalar)
  date!: string;

  @Field()
  timeZone!: string;

  @Field(() => Int, { description: 'Stops the caller recorded as visited that day.' })
  stopsVisited!: number;

  @Field(() => Int, { description: 'Stops the caller recorded as skipped that day.' })
  stopsSkipped!: number;

  @Field(() => Int, {
    description: "Stops still pending now on the caller's assigned or started orders due by the end of that day.",
  })
  stopsPending!: number;

  @Field(() => Int, {
    description: 'Register values the caller read in the field that day (visited stops with a value).',
  })
  readingsRecorded!: number;

  @Field(() => Int, { description: 'Photos the caller uploaded that day.' })
  photosUploaded!: number;

  @Field(() => Int, { description: 'Hazards the caller reported that day.' })
  hazardsReported!: number;

  @Field(() => Int, { description: "The caller's hazard reports verified that day." })
  hazardsVerified!: number;

  @Field(() => Int, { description: 'Points those verifications earned the caller.' })
  pointsEarned!: number;

  @Field(() => Int, {
    description: 'Work orders assigned to the caller still open now (created, assigned, in progress or sent back).',
  })
  openTasks!: number;
}
