import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Alarm, AlarmSeverity, AlarmType } from '../../orm/entities/index.js';
import type { AlarmRaisedEvent } from '../../shared/events.js';
import {
  type Context,
  loadPermitted,
  NodeResolver,
  PageArgs,
  renewRequestState,
  sharedEventRow,
  subscriberMayReceive,
} from '../common/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import {
  AlarmActionInput,
  AlarmConnection,
  AlarmFilter,
  AlarmObject,
  AlarmPayload,
  CollectionAlarmFilter,
} from './alarm.type.js';
import { acknowledgeAlarm, closeAlarm, listAlarms } from './alarm.service.js';

@Resolver(() => AlarmObject)
export class AlarmResolver extends NodeResolver<Alarm>(AlarmObject, 'Alarm') {
  @Query(() => AlarmConnection, { description: 'Alarms the caller may see, newest first.' })
  alarms(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AlarmFilter, { nullable: true }) filter?: AlarmFilter,
  ) {
    return listAlarms(ctx, filter, page);
  }

  @Query(() => AlarmObject)
  alarm(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Alarm, 'Alarm', 'read', id);
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() alarm: Alarm, @Ctx() ctx: Context) {
    return alarm.meter ? ctx.loaders.meter.load(alarm.meter.id) : null;
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() alarm: Alarm, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(alarm.orgUnit.id);
  }

  @FieldResolver(() => UserType, { nullable: true })
  acknowledgedBy(@Root() alarm: Alarm, @Ctx() ctx: Context) {
    return alarm.acknowledgedBy ? ctx.loaders.user.load(alarm.acknowledgedBy.id) : null;
  }

  @FieldResolver(() => UserType, { nullable: true })
  closedBy(@Root() alarm: Alarm, @Ctx() ctx: Context) {
    return alarm.closedBy ? ctx.loaders.user.load(alarm.closedBy.id) : null;
  }

  @Mutation(() => AlarmPayload, { description: 'OPEN -> ACKNOWLEDGED, recording who and when.' })
  async acknowledgeAlarm(@Ctx() ctx: Context, @Arg('input', () => AlarmActionInput) input: AlarmActionInput) {
    return { alarm: await acknowledgeAlarm(ctx, input) };
  }

  @Mutation(() => AlarmPayload, { description: 'OPEN or ACKNOWLEDGED -> CLOSED, recording who and when.' })
  async closeAlarm(@Ctx() ctx: Context, @Arg('input', () => AlarmActionInput) input: AlarmActionInput) {
    return { alarm: await closeAlarm(ctx, input) };
  }

  @Subscription(() => AlarmObject, {
    topics: 'ALARM_RAISED',
    description: 'Collection alarms as they are raised, limited to what the subscriber may see.',
    filter: async ({
      payload,
      args,
      context,
    }: {
      payload: AlarmRaisedEvent;
      args: { filter?: CollectionAlarmFilter };
      context: Context;
    }) => {
      const { types, severities, orgUnitSubtree } = args.filter ?? {};
      return subscriberMayReceive(
        context,
        'Alarm',
        { orgPath: payload.orgPath, meterId: payload.meterId },
        orgUnitSubtree ? { id: orgUnitSubtree, path: ['filter', 'orgUnitSubtree'] } : undefined,
        () =>
          (!types?.length || types.includes(payload.type as AlarmType)) &&
          (!severities?.length || severities.includes(payload.severity as AlarmSeverity)),
      );
    },
  })
  collectionAlarms(
    @Root() payload: AlarmRaisedEvent,
    @Ctx() ctx: Context,
    @Arg('filter', () => CollectionAlarmFilter, { nullable: true }) _filter?: CollectionAlarmFilter,
  ) {
    renewRequestState(ctx);
    // One load per event for all subscribers.
    return sharedEventRow(`Alarm:${payload.alarmId}`, (em) => em.findOneOrFail(Alarm, { id: payload.alarmId }), ctx.em);
  }
}
