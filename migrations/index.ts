import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126095146_archive } from './Migration20261126095146_archive.js';
import { Migration20261126110000_reading_flags } from './Migration20261126110000_reading_flags.js';
import { Migration20261126120000_alarms } from './Migration20261126120000_alarms.js';
import { Migration20261126130000_collection } from './Migration20261126130000_collection.js';
import { Migration20261126140000_alarm_cleared } from './Migration20261126140000_alarm_cleared.js';
import { Migration20261126150000_alarm_list_indexes } from './Migration20261126150000_alarm_list_indexes.js';
import { Migration20261126160000_collection_tasks } from './Migration20261126160000_collection_tasks.js';
import { Migration20261126170000_meter_events } from './Migration20261126170000_meter_events.js';
import { Migration20261126180000_audit_log } from './Migration20261126180000_audit_log.js';
import { Migration20261126181000_login_policy } from './Migration20261126181000_login_policy.js';
import { Migration20261126190000_personal_data_encryption } from './Migration20261126190000_personal_data_encryption.js';
import { Migration20261126200000_sharing_grants } from './Migration20261126200000_sharing_grants.js';
import { Migration20261126202000_api_keys } from './Migration20261126202000_api_keys.js';
import { Migration20261126213000_settlements } from './Migration20261126213000_settlements.js';
import { Migration20261126203000_totp } from './Migration20261126203000_totp.js';
import { Migration20261126210000_tariffs } from './Migration20261126210000_tariffs.js';
import { Migration20261126211000_vee } from './Migration20261126211000_vee.js';
import { Migration20261126214000_line_loss_band } from './Migration20261126214000_line_loss_band.js';
import { Migration20261126215000_payments_prepayment } from './Migration20261126215000_payments_prepayment.js';
import { Migration20261126220000_work_orders } from './Migration20261126220000_work_orders.js';
import { Migration20261126221000_field } from './Migration20261126221000_field.js';
import { Migration20261126222000_reading_routes } from './Migration20261126222000_reading_routes.js';
import { Migration20261126223000_assessment } from './Migration20261126223000_assessment.js';

/**
 * Every migration, in order. Listed by hand so that the same list works compiled (dist/) and under
 * vitest; a test fails when a file in this folder is missing here.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261126095146_archive', class: Migration20261126095146_archive },
  { name: 'Migration20261126110000_reading_flags', class: Migration20261126110000_reading_flags },
  { name: 'Migration20261126120000_alarms', class: Migration20261126120000_alarms },
  { name: 'Migration20261126130000_collection', class: Migration20261126130000_collection },
  { name: 'Migration20261126140000_alarm_cleared', class: Migration20261126140000_alarm_cleared },
  { name: 'Migration20261126150000_alarm_list_indexes', class: Migration20261126150000_alarm_list_indexes },
  { name: 'Migration20261126160000_collection_tasks', class: Migration20261126160000_collection_tasks },
  { name: 'Migration20261126170000_meter_events', class: Migration20261126170000_meter_events },
  { name: 'Migration20261126180000_audit_log', class: Migration20261126180000_audit_log },
  { name: 'Migration20261126181000_login_policy', class: Migration20261126181000_login_policy },
  {
    name: 'Migration20261126190000_personal_data_encryption',
    class: Migration20261126190000_personal_data_encryption,
  },
  { name: 'Migration20261126200000_sharing_grants', class: Migration20261126200000_sharing_grants },
  { name: 'Migration20261126202000_api_keys', class: Migration20261126202000_api_keys },
  { name: 'Migration20261126203000_totp', class: Migration20261126203000_totp },
  { name: 'Migration20261126210000_tariffs', class: Migration20261126210000_tariffs },
  { name: 'Migration20261126211000_vee', class: Migration20261126211000_vee },
  { name: 'Migration20261126213000_settlements', class: Migration20261126213000_settlements },
  { name: 'Migration20261126214000_line_loss_band', class: Migration20261126214000_line_loss_band },
  { name: 'Migration20261126215000_payments_prepayment', class: Migration20261126215000_payments_prepayment },
  { name: 'Migration20261126220000_work_orders', class: Migration20261126220000_work_orders },
  { name: 'Migration20261126221000_field', class: Migration20261126221000_field },
  { name: 'Migration20261126222000_reading_routes', class: Migration20261126222000_reading_routes },
  { name: 'Migration20261126223000_assessment', class: Migration20261126223000_assessment },
];
