import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { RetryStatus, ScheduleKind, TaskKind, TaskStatus } from '../../orm/entities/enums.js';
import { ConnectionType, NodeInterface } from '../common/index.js';

registerEnumType(ScheduleKind, {
  name: 'ScheduleKind',
  description: "INTERVAL: current registers every intervalMinutes; DAILY_FROZEN: each day's 00:00 frozen values.",
});
registerEnumType(TaskKind, { name: 'TaskKind' });
registerEnumType(TaskStatus, {
  name: 'TaskStatus',
  description:
    'RUNNING (being read; a daily-frozen task runs as reading windows open), RETRYING (some meters wait for re-collection), COMPLETED (every meter answered), INCOMPLETE (re-collection gave up on some).',
});
registerEnumType(RetryStatus, {
  name: 'RetryStatus',
  description: 'PENDING (another attempt is due at nextAttemptAt), RECOVERED (read after all), GAVE_UP.',
});

@ObjectType('CollectionSchedule', {
  implements: NodeInterface,
  description:
    "When to read which meters: the collectable installed meters under orgUnit (on one channel if set). Daily-frozen reads happen inside each customer's reading window unless the schedule sets its own.",
})
export class CollectionScheduleType extends NodeInterface {
  @Field()
  name!: string;

  @Field(() => ScheduleKind)
  kind!: ScheduleKind;

  @Field(() => Int, { description: 'INTERVAL: minutes between slots, aligned to local midnight.' })
  intervalMinutes!: number;

  @Field({ nullable: true, description: 'Local HH:MM the window opens (see windowEnd).' })
  windowStart?: string;

  @Field({
    nullable: true,
    description:
      "Local HH:MM the window closes. INTERVAL: only slots starting inside run. DAILY_FROZEN: replaces the customers' reading windows.",
  })
  windowEnd?: string;

  @Field(() => Int, { description: 'Attempts per meter, the first included, before re-collection gives up.' })
  maxAttempts!: number;

  @Field({ description: "Also read the meters' event records (cover open, power down...) after each read." })
  readEvents!: boolean;

  @Field()
  enabled!: boolean;
}

export const CollectionScheduleConnection = ConnectionType(CollectionScheduleType, 'CollectionSchedule');

@InputType()
export class CreateCollectionScheduleInput {
  @Field()
  name!: string;

  @Field(() => ScheduleKind)
  kind!: ScheduleKind;

  @Field(() => ID, { description: 'The meters under this unit form the group.' })
  orgUnitId!: string;

  @Field(() => ID, { nullable: true, description: 'Only the meters on this channel.' })
  channelId?: string;

  @Field(() => Int, { defaultValue: 15 })
  intervalMinutes!: number;

  @Field({ nullable: true })
  windowStart?: string;

  @Field({ nullable: true })
  windowEnd?: string;

  @Field(() => Int, { defaultValue: 4 })
  maxAttempts!: number;

  @Field({ nullable: true, description: 'Default: yes for DAILY_FROZEN, no for INTERVAL.' })
  readEvents?: boolean;

  @Field({ defaultValue: true })
  enabled!: boolean;
}

@InputType()
export class UpdateCollectionScheduleInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field(() => Int, { nullable: true })
  intervalMinutes?: number;

  @Field({ nullable: true, description: 'Give both window ends, or clear both with clearWindow.' })
  windowStart?: string;

  @Field({ nullable: true })
  windowEnd?: string;

  @Field({ nullable: true })
  clearWindow?: boolean;

  @Field(() => Int, { nullable: true })
  maxAttempts?: number;

  @Field({ nullable: true })
  readEvents?: boolean;

  @Field({ nullable: true })
  enabled?: boolean;
}

@ObjectType()
export class CollectionSchedulePayload {
  @Field(() => CollectionScheduleType)
  schedule!: CollectionScheduleType;
}

@ObjectType('CollectionTask', {
  implements: NodeInterface,
  description:
    'One run of a schedule for one slot, or one on-demand read. Meters that answered are counted; those that did not are listed under retries.',
})
export class CollectionTaskType extends NodeInterface {
  @Field(() => TaskKind)
  kind!: TaskKind;

  @Field({ description: "The interval's start, or the local midnight whose frozen values are read." })
  slot!: Date;

  @Field(() => TaskStatus)
  status!: TaskStatus;

  @Field(() => Int, { description: 'Meters read or tried.' })
  meters!: number;

  @Field(() => Int)
  succeeded!: number;

  @Field(() => Int, { description: 'Meters waiting for another attempt.' })
  retrying!: number;

  @Field(() => Int)
  gaveUp!: number;

  @Field()
  startedAt!: Date;

  @Field({ nullable: true })
  finishedAt?: Date;
}

export const CollectionTaskConnection = ConnectionType(CollectionTaskType, 'CollectionTask');

@InputType()
export class CollectionTaskFilter {
  @Field(() => ID, { nullable: true })
  scheduleId?: string;

  @Field(() => ID, { nullable: true, description: 'Tasks of this unit and the units below it.' })
  orgUnitSubtree?: string;

  @Field(() => [TaskStatus], { nullable: true })
  statuses?: TaskStatus[];

  @Field(() => [TaskKind], { nullable: true })
  kinds?: TaskKind[];

  @Field({ nullable: true, description: 'Tasks started at or after.' })
  from?: Date;

  @Field({ nullable: true, description: 'Tasks started before.' })
  to?: Date;
}

@ObjectType('CollectionRetry', { description: 'A meter a task could not read, and its re-collection.' })
export class CollectionRetryType {
  @Field(() => RetryStatus)
  status!: RetryStatus;

  @Field(() => Int, { description: 'Attempts so far, the first read included.' })
  attempts!: number;

  @Field({ nullable: true })
  nextAttemptAt?: Date;

  @Field()
  lastError!: string;

  @Field()
  updatedAt!: Date;
}

export const CollectionRetryConnection = ConnectionType(CollectionRetryType, 'CollectionRetry');
