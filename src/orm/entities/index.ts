export * from './enums.js';
export { OrgUnit } from './org-unit.entity.js';
export { MeterBox } from './meter-box.entity.js';
export { Meter } from './meter.entity.js';
export { Customer } from './customer.entity.js';
export { ServicePoint } from './service-point.entity.js';
export { MeterAssignment } from './meter-assignment.entity.js';
export { Reading } from './reading.entity.js';
export { User } from './user.entity.js';
export { RolePermission } from './role-permission.entity.js';
export { RefreshToken } from './refresh-token.entity.js';
export { Alarm } from './alarm.entity.js';
export { Channel } from './channel.entity.js';
export { MeterCollection } from './meter-collection.entity.js';
export { CollectionSchedule } from './collection-schedule.entity.js';
export { CollectionTask } from './collection-task.entity.js';
export { CollectionRetry } from './collection-retry.entity.js';
export { MeterEvent } from './meter-event.entity.js';
export { AuditRecord } from './audit-record.entity.js';
export { ApiKey } from './api-key.entity.js';
export { LoginPolicy, LoginThrottle, type StoredTimeWindow } from './login-policy.entity.js';
export { SharingGrant, type StoredShare } from './sharing-grant.entity.js';
export { SettlementRun, type SettlementFailure } from './settlement-run.entity.js';
export { Bill, BillLine, type BillDeterminant } from './bill.entity.js';
export { Tariff } from './tariff.entity.js';
export { TariffVersion, type StoredBand, type StoredTerms } from './tariff-version.entity.js';
export { ReadingVersion } from './reading-version.entity.js';
export { VeeRuleSet } from './vee-rule-set.entity.js';
export { Payment } from './payment.entity.js';
export { PrepaymentEvent } from './prepayment-event.entity.js';
export { HazardReport } from './hazard-report.entity.js';
export { TrainingRecord } from './training-record.entity.js';
export { WorkOrder, WorkOrderAssignee, WorkOrderStop, WorkOrderKindSetting } from './work-order.entity.js';
export { ReadingRoute, ReadingRouteBox } from './reading-route.entity.js';
export { FieldPhoto } from './field-photo.entity.js';
export { WorkerPosition } from './worker-position.entity.js';

import { Alarm } from './alarm.entity.js';
import { AuditRecord } from './audit-record.entity.js';
import { ApiKey } from './api-key.entity.js';
import { LoginPolicy, LoginThrottle } from './login-policy.entity.js';
import { Channel } from './channel.entity.js';
import { CollectionRetry } from './collection-retry.entity.js';
import { CollectionSchedule } from './collection-schedule.entity.js';
import { CollectionTask } from './collection-task.entity.js';
import { MeterCollection } from './meter-collection.entity.js';
import { MeterEvent } from './meter-event.entity.js';
import { Customer } from './customer.entity.js';
import { MeterAssignment } from './meter-assignment.entity.js';
import { MeterBox } from './meter-box.entity.js';
import { Meter } from './meter.entity.js';
import { OrgUnit } from './org-unit.entity.js';
import { Reading } from './reading.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { RolePermission } from './role-permission.entity.js';
import { ServicePoint } from './service-point.entity.js';
import { SharingGrant } from './sharing-grant.entity.js';
import { Tariff } from './tariff.entity.js';
import { TariffVersion } from './tariff-version.entity.js';
import { ReadingVersion } from './reading-version.entity.js';
import { VeeRuleSet } from './vee-rule-set.entity.js';
import { User } from './user.entity.js';
import { SettlementRun } from './settlement-run.entity.js';
import { Bill, BillLine } from './bill.entity.js';
import { Payment } from './payment.entity.js';
import { PrepaymentEvent } from './prepayment-event.entity.js';
import { HazardReport } from './hazard-report.entity.js';
import { TrainingRecord } from './training-record.entity.js';
import { WorkOrder, WorkOrderAssignee, WorkOrderStop, WorkOrderKindSetting } from './work-order.entity.js';
import { ReadingRoute, ReadingRouteBox } from './reading-route.entity.js';
import { FieldPhoto } from './field-photo.entity.js';
import { WorkerPosition } from './worker-position.entity.js';

export const entities = [
  OrgUnit,
  MeterBox,
  Meter,
  Customer,
  ServicePoint,
  MeterAssignment,
  Reading,
  User,
  RolePermission,
  RefreshToken,
  Alarm,
  Channel,
  MeterCollection,
  CollectionSchedule,
  CollectionTask,
  CollectionRetry,
  MeterEvent,
  AuditRecord,
  ApiKey,
  LoginPolicy,
  LoginThrottle,
  SharingGrant,
  SettlementRun,
  Bill,
  BillLine,
  Tariff,
  TariffVersion,
  ReadingVersion,
  VeeRuleSet,
  Payment,
  PrepaymentEvent,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderStop,
  WorkOrderKindSetting,
  HazardReport,
  TrainingRecord,
  ReadingRoute,
  ReadingRouteBox,
  FieldPhoto,
  WorkerPosition,
];
