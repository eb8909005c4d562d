import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for the alarms list at a million rows (bench:alarm-query): the newest alarms without a
 * status filter, time ranges and `after` cursors walk (last_at, id) instead of sorting the table;
 * a station's alarms are counted by status from (org_unit_id, status) alone. Each takes about 2 s
 * to build on a million alarms, during which alarm writes wait.
 */
export class Migration20261126150000_alarm_list_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "alarm_last_idx" on "alarm" ("last_at", "id");`);
    this.addSql(`create index "alarm_org_status_idx" on "alarm" ("org_unit_id", "status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "alarm_org_status_idx";`);
    this.addSql(`drop index "alarm_last_idx";`);
  }
}
