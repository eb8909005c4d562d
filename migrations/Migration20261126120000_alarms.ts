import { Migration } from '@mikro-orm/migrations';

export class Migration20261126120000_alarms extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "alarm" ("id" bigserial primary key, "type" text check ("type" in ('COMMUNICATION_FAILURE', 'READING_FAILURE', 'METER_OFFLINE', 'REGISTER_DECREASE', 'STOPPED_METER', 'FLYING_METER', 'ENERGY_OVER_DEVIATION', 'CLOCK_DEVIATION', 'METER_COVER_OPEN', 'TERMINAL_COVER_OPEN', 'POWER_OFF', 'POWER_ON', 'REVERSE_ENERGY', 'VOLTAGE_LOSS', 'CURRENT_LOSS', 'PHASE_IMBALANCE', 'UNKNOWN_METER', 'WRONG_TRANSFORMER_AREA')) not null, "severity" text check ("severity" in ('CRITICAL', 'MAJOR', 'MINOR', 'WARNING')) not null, "status" text check ("status" in ('OPEN', 'ACKNOWLEDGED', 'CLEARED', 'CLOSED')) not null default 'OPEN', "meter_id" int null, "org_unit_id" int not null, "message" varchar(255) not null, "first_at" timestamptz not null, "last_at" timestamptz not null, "count" int not null default 1, "acknowledged_by_id" int null, "acknowledged_at" timestamptz null, "closed_by_id" int null, "closed_at" timestamptz null, "note" varchar(255) null);`,
    );
    this.addSql(`create index "alarm_status_last_idx" on "alarm" ("status", "last_at");`);
    this.addSql(`create index "alarm_org_last_idx" on "alarm" ("org_unit_id", "last_at");`);
    this.addSql(
      `create unique index "alarm_active_uq" on "alarm" ("meter_id", "type") where "status" in ('OPEN', 'ACKNOWLEDGED');`,
    );

    this.addSql(
      `alter table "alarm" add constraint "alarm_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "alarm" add constraint "alarm_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "alarm" add constraint "alarm_acknowledged_by_id_foreign" foreign key ("acknowledged_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "alarm" add constraint "alarm_closed_by_id_foreign" foreign key ("closed_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "alarm" cascade;`);
  }
}
