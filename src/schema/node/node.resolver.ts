import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Subject } from '../../auth/permissions.js';
import {
  Alarm,
  Bill,
  Channel,
  CollectionSchedule,
  CollectionTask,
  Customer,
  FieldPhoto,
  HazardReport,
  Meter,
  MeterBox,
  OrgUnit,
  Payment,
  PrepaymentEvent,
  Reading,
  ReadingRoute,
  ServicePoint,
  SettlementRun,
  SharingGrant,
  Tariff,
  TrainingRecord,
  User,
  VeeRuleSet,
  WorkOrder,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { fitsKey, fromGlobalId, keyColumnOf } from '../../shared/global-id.js';
import { type Context, NodeInterface } from '../common/index.js';
import { readableGrants } from '../sharing/index.js';
import { visibleBills } from '../settlement/index.js';

interface NodeType {
  entity: EntityName<object>;
  subject: Subject;
  /** When a type is visible on other terms than its read rule (grants: also those reaching the caller). */
  where?: (ctx: Context) => FilterQuery<object> | null;
}

const NODE_TYPES: Record<string, NodeType> = {
  OrgUnit: { entity: OrgUnit, subject: 'OrgUnit' },
  MeterBox: { entity: MeterBox, subject: 'MeterBox' },
  Meter: { entity: Meter, subject: 'Meter' },
  Customer: { entity: Customer, subject: 'Customer' },
  ServicePoint: { entity: ServicePoint, subject: 'ServicePoint' },
  Reading: { entity: Reading, subject: 'Reading' },
  User: { entity: User, subject: 'User' },
  Alarm: { entity: Alarm, subject: 'Alarm' },
  Channel: { entity: Channel, subject: 'Channel' },
  CollectionSchedule: { entity: CollectionSchedule, subject: 'Channel' },
  CollectionTask: { entity: CollectionTask, subject: 'Channel' },
  Tariff: { entity: Tariff, subject: 'Tariff' },
  SharingGrant: { entity: SharingGrant, subject: 'SharingGrant', where: readableGrants as NodeType['where'] },
  SettlementRun: { entity: SettlementRun, subject: 'SettlementRun' },
  Bill: { entity: Bill, subject: 'Bill', where: visibleBills as NodeType['where'] },
  VeeRuleSet: { entity: VeeRuleSet, subject: 'VeeRuleSet' },
  Payment: { entity: Payment, subject: 'Payment' },
  PrepaymentEvent: { entity: PrepaymentEvent, subject: 'PrepaymentEvent' },
  ReadingRoute: { entity: ReadingRoute, subject: 'ReadingRoute' },
  WorkOrder: { entity: WorkOrder, subject: 'WorkOrder' },
  // A stop is visible with its work order.
  WorkOrderStop: {
    entity: WorkOrderStop,
    subject: 'WorkOrder',
    where: (ctx) => {
      const where = ctx.access.where<WorkOrder>('read', 'WorkOrder');
      return where === null ? null : ({ workOrder: where } as FilterQuery<object>);
    },
  },
  TrainingRecord: { entity: TrainingRecord, subject: 'TrainingRecord' },
  HazardReport: { entity: HazardReport, subject: 'HazardReport' },
  FieldPhoto: { entity: FieldPhoto, subject: 'FieldPhoto' },
};

@Resolver()
export class NodeQueryResolver {
  @Query(() => NodeInterface, {
    nullable: true,
    description: 'Any object by its global ID; null when unknown or not visible.',
  })
  async node(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    const decoded = fromGlobalId(id);
    const type = decoded && NODE_TYPES[decoded.type];
    if (!decoded || !type || !fitsKey(decoded.id, keyColumnOf(decoded.type))) return null;
    const where = type.where ? type.where(ctx) : ctx.access.where<object>('read', type.subject);
    if (where === null) return null;
    return ctx.em.findOne(type.entity, { $and: [where, { id: decoded.id }] } as never);
  }
}
