import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { ArchiveImportResolver } from './archive-import/archive-import.resolver.js';
import type { Events } from '../shared/events.js';
import { DateTimeScalar } from './common/scalars.js';
import { CustomerResolver } from './customer/customer.resolver.js';
import { MeterBoxResolver } from './meter-box/meter-box.resolver.js';
import { MeterBoxMetersResolver, MeterResolver, OrgUnitMetersResolver } from './meter/meter.resolver.js';
import { NodeQueryResolver } from './node/node.resolver.js';
import { OrgUnitResolver } from './org-unit/org-unit.resolver.js';
import { MeterLatestReadingResolver, ReadingResolver } from './reading/reading.resolver.js';
import {
  CustomerServicePointsResolver,
  MeterAssignmentResolver,
  MeterServicePointResolver,
  ServicePointResolver,
} from './service-point/service-point.resolver.js';
import { SessionResolver } from './session/session.resolver.js';
import { UserResolver } from './user/user.resolver.js';
import { CollectionResolver } from './collection/collection.resolver.js';
import { AlarmResolver } from './alarm/alarm.resolver.js';
import {
  AreaCompletenessResolver,
  ChannelResolver,
  MeterCollectionFieldResolver,
  MeterCollectionResolver,
} from './collection/channel.resolver.js';
import {
  CollectionRetryResolver,
  CollectionScheduleResolver,
  CollectionTaskResolver,
} from './collection/schedule.resolver.js';
import { MeterEventFieldResolver } from './collection/meter-event.resolver.js';
import { RelayResolver } from './collection/relay.resolver.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { LoginPolicyResolver } from './login-policy/login-policy.resolver.js';
import { ApiKeyResolver } from './api-key/api-key.resolver.js';
import { guardFields, writesWithoutGrants } from './common/access-guards.js';
import { SharingGrantResolver } from './sharing/sharing.resolver.js';
import { ConsumptionResolver } from './consumption/consumption.resolver.js';
import { ReportResolver } from './report/report.resolver.js';
import { BillResolver, SettlementRunResolver } from './settlement/settlement.resolver.js';
import { CustomerTierProgressResolver } from './tariff/tier-progress.js';
import { CustomerAccountResolver, PaymentResolver, PrepaymentEventResolver } from './account/account.resolver.js';
import { CustomerTariffResolver, TariffResolver } from './tariff/tariff.resolver.js';
import { ReadingVeeFieldResolver, ReadingVersionResolver, VeeRuleSetResolver } from './vee/vee.resolver.js';
import {
  LineLossExclusionResolver,
  LineLossResolver,
  LineLossSuspectResolver,
  OrgUnitLineLossBandResolver,
} from './line-loss/line-loss.resolver.js';
import {
  WorkOrderAssigneeResolver,
  WorkOrderResolver,
  WorkOrderStopResolver,
} from './work-order/work-order.resolver.js';
import { TrainingRecordResolver, UserTrainingResolver } from './training/training.resolver.js';
import { KpiLineLossAreaResolver, KpiPersonResolver, KpiResolver } from './assessment/kpi.resolver.js';
import {
  ReadingRoundResolver,
  ReadingRouteBoxResolver,
  ReadingRouteResolver,
} from './reading-round/reading-round.resolver.js';
import {
  FieldApiResolver,
  FieldPhotoResolver,
  HazardReportPhotosResolver,
  WorkOrderPhotosResolver,
  WorkOrderStopPhotosResolver,
} from './field/field.resolver.js';
import { HazardReportResolver } from './hazard/hazard.resolver.js';

export const resolvers = [
  OrgUnitResolver,
  MeterBoxResolver,
  MeterResolver,
  OrgUnitMetersResolver,
  MeterBoxMetersResolver,
  CustomerResolver,
  ServicePointResolver,
  MeterAssignmentResolver,
  MeterServicePointResolver,
  CustomerServicePointsResolver,
  ReadingResolver,
  MeterLatestReadingResolver,
  UserResolver,
  SessionResolver,
  ArchiveImportResolver,
  NodeQueryResolver,
  CollectionResolver,
  AlarmResolver,
  ChannelResolver,
  MeterCollectionResolver,
  MeterCollectionFieldResolver,
  AreaCompletenessResolver,
  CollectionScheduleResolver,
  CollectionTaskResolver,
  CollectionRetryResolver,
  MeterEventFieldResolver,
  RelayResolver,
  AuditResolver,
  LoginPolicyResolver,
  ApiKeyResolver,
  SharingGrantResolver,
  ConsumptionResolver,
  SettlementRunResolver,
  BillResolver,
  CustomerTierProgressResolver,
  TariffResolver,
  CustomerTariffResolver,
  VeeRuleSetResolver,
  ReadingVeeFieldResolver,
  ReadingVersionResolver,
  LineLossResolver,
  LineLossExclusionResolver,
  LineLossSuspectResolver,
  OrgUnitLineLossBandResolver,
  PaymentResolver,
  PrepaymentEventResolver,
  CustomerAccountResolver,
  ReportResolver,
  WorkOrderResolver,
  WorkOrderAssigneeResolver,
  WorkOrderStopResolver,
  TrainingRecordResolver,
  UserTrainingResolver,
  KpiResolver,
  KpiPersonResolver,
  KpiLineLossAreaResolver,
  ReadingRouteResolver,
  ReadingRouteBoxResolver,
  ReadingRoundResolver,
  FieldApiResolver,
  FieldPhotoResolver,
  WorkOrderPhotosResolver,
  WorkOrderStopPhotosResolver,
  HazardReportPhotosResolver,
  HazardReportResolver,
] as const;

/** The whole API. Deterministic: the emitted schema.graphql is compared in CI. */
export async function createSchema(events: Events): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    pubSub: events,
    validate: false,
    emitSchemaFile: false,
  });
  // Rules that apply to the whole schema rather than to one resolver (sharing grants, field rules).
  writesWithoutGrants(schema);
  guardFields(schema);
  return schema;
}
