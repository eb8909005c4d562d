import { Migration } from '@mikro-orm/migrations';

export class Migration20261126220000_work_orders extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "work_order" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "kind" text check ("kind" in ('PERIODIC_CHECK_READING', 'ELECTRICITY_INSPECTION', 'METER_INSTALLATION', 'METER_REMOVAL', 'METER_EXCHANGE', 'PERIODIC_VERIFICATION', 'HAZARD_RECTIFICATION', 'ALARM_FOLLOW_UP')) not null, "status" text check ("status" in ('CREATED', 'ASSIGNED', 'IN_PROGRESS', 'SUBMITTED', 'APPROVED', 'REJECTED', 'CLOSED')) not null default 'CREATED', "title" varchar(200) not null, "description" text null, "org_unit_id" int not null, "due_at" timestamptz not null, "customer_id" int null, "meter_box_id" int null, "meter_id" int null, "transformer_area_id" int null, "alarm_id" bigint null, "created_by_id" int not null, "assigned_at" timestamptz null, "started_at" timestamptz null, "submitted_at" timestamptz null, "result" text null, "reviewed_at" timestamptz null, "reviewed_by_id" int null, "review_note" varchar(500) null, "rejections" smallint not null default 0, "closed_at" timestamptz null, "closed_by_id" int null, "cancel_reason" varchar(500) null);`,
    );
    this.addSql(`create index "work_order_customer_id_index" on "work_order" ("customer_id");`);
    this.addSql(`create index "work_order_meter_box_id_index" on "work_order" ("meter_box_id");`);
    this.addSql(`create index "work_order_meter_id_index" on "work_order" ("meter_id");`);
    this.addSql(`create index "work_order_transformer_area_id_index" on "work_order" ("transformer_area_id");`);
    this.addSql(`create index "work_order_alarm_id_index" on "work_order" ("alarm_id");`);
    this.addSql(`create index "work_order_status_due_idx" on "work_order" ("status", "due_at");`);
    this.addSql(`create index "work_order_org_due_idx" on "work_order" ("org_unit_id", "due_at");`);

    this.addSql(
      `create table "work_order_assignee" ("id" serial primary key, "work_order_id" int not null, "user_id" int not null, "assigned_at" timestamptz not null default now(), "confirmed_at" timestamptz null);`,
    );
    this.addSql(`create index "work_order_assignee_user_id_index" on "work_order_assignee" ("user_id");`);
    this.addSql(
      `alter table "work_order_assignee" add constraint "work_order_assignee_uq" unique ("work_order_id", "user_id");`,
    );

    this.addSql(
      `create table "work_order_kind_setting" ("kind" varchar(32) not null, "two_person_rule" boolean not null default true, "updated_by_id" int null, "updated_at" timestamptz not null default now(), constraint "work_order_kind_setting_pkey" primary key ("kind"));`,
    );

    this.addSql(
      `create table "work_order_stop" ("id" serial primary key, "work_order_id" int not null, "seq" smallint not null, "meter_id" int null, "meter_box_id" int null, "customer_id" int null, "status" text check ("status" in ('PENDING', 'VISITED', 'SKIPPED')) not null default 'PENDING', "visited_at" timestamptz null, "visited_by_id" int null, "latitude" numeric(9,6) null, "longitude" numeric(9,6) null, "field_value" numeric(14,4) null, "reading_id" bigint null, "automatic_value" numeric(14,4) null, "difference" numeric(14,4) null, "note" varchar(500) null);`,
    );
    this.addSql(`create index "work_order_stop_meter_id_index" on "work_order_stop" ("meter_id");`);
    this.addSql(`create index "work_order_stop_meter_box_id_index" on "work_order_stop" ("meter_box_id");`);
    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_seq_uq" unique ("work_order_id", "seq");`,
    );

    this.addSql(
      `alter table "work_order" add constraint "work_order_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_transformer_area_id_foreign" foreign key ("transformer_area_id") references "org_unit" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_alarm_id_foreign" foreign key ("alarm_id") references "alarm" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_reviewed_by_id_foreign" foreign key ("reviewed_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_closed_by_id_foreign" foreign key ("closed_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "work_order_assignee" add constraint "work_order_assignee_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "work_order_assignee" add constraint "work_order_assignee_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "work_order_kind_setting" add constraint "work_order_kind_setting_updated_by_id_foreign" foreign key ("updated_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "work_order_stop" add constraint "work_order_stop_visited_by_id_foreign" foreign key ("visited_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `create table "training_record" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "user_id" int not null, "course" varchar(200) not null, "completed_on" date not null, "result" text check ("result" in ('PASSED', 'FAILED', 'ATTENDED')) not null, "score" numeric(5,2) null, "hours" numeric(5,1) null, "recorded_by_id" int not null);`,
    );
    this.addSql(`create index "training_record_user_date_idx" on "training_record" ("user_id", "completed_on");`);

    this.addSql(
      `create table "hazard_report" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "category" text check ("category" in ('METER_BOX_DAMAGE', 'METER_FAULT', 'SEAL_BROKEN', 'ELECTRICITY_THEFT', 'WIRING_DANGER', 'OTHER')) not null, "status" text check ("status" in ('REPORTED', 'VERIFIED', 'DISMISSED')) not null default 'REPORTED', "description" varchar(1000) not null, "org_unit_id" int not null, "meter_box_id" int null, "meter_id" int null, "customer_id" int null, "latitude" numeric(9,6) null, "longitude" numeric(9,6) null, "reported_by_id" int not null, "reported_at" timestamptz not null default now(), "verified_by_id" int null, "verified_at" timestamptz null, "points" smallint not null default 0, "verification_note" varchar(500) null, "rectification_id" int null);`,
    );
    this.addSql(`create index "hazard_report_meter_box_id_index" on "hazard_report" ("meter_box_id");`);
    this.addSql(`create index "hazard_report_meter_id_index" on "hazard_report" ("meter_id");`);
    this.addSql(`create index "hazard_report_reported_by_id_index" on "hazard_report" ("reported_by_id");`);
    this.addSql(`create index "hazard_report_org_reported_idx" on "hazard_report" ("org_unit_id", "reported_at");`);

    this.addSql(
      `alter table "training_record" add constraint "training_record_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "training_record" add constraint "training_record_recorded_by_id_foreign" foreign key ("recorded_by_id") references "app_user" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_reported_by_id_foreign" foreign key ("reported_by_id") references "app_user" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_verified_by_id_foreign" foreign key ("verified_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "hazard_report" add constraint "hazard_report_rectification_id_foreign" foreign key ("rectification_id") references "work_order" ("id") on update cascade on delete set null;`,
    );

    // No one reads meters alone (paper 3.1): meter readers record readings on the stops of the work
    // orders they are assigned to, in pairs, no longer on their own through recordManualReading.
    this.addSql(
      `delete from "role_permission" where "role" = 'METER_READER' and "action" = 'create' and "subject" = 'Reading' and "scope" = 'ORG_SUBTREE' and not "inverted" and "fields" is null;`,
    );
    // Default rules for the roles an installation already has (permissions.ts holds the same).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'WorkOrder', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'WorkOrder', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'WorkOrder', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'read', 'WorkOrderKindSetting', 'ALL'),
                      ('METER_READER', 'read', 'WorkOrder', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'read', 'WorkOrder', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'WorkOrder', 'ALL'),
                      ('AUDITOR', 'read', 'WorkOrderKindSetting', 'ALL'),
                      ('STATION_MANAGER', 'read', 'HazardReport', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'HazardReport', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'HazardReport', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'read', 'TrainingRecord', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'TrainingRecord', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'TrainingRecord', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'delete', 'TrainingRecord', 'ORG_SUBTREE'),
                      ('METER_READER', 'read', 'HazardReport', 'ORG_SUBTREE'),
                      ('METER_READER', 'create', 'HazardReport', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'read', 'HazardReport', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'create', 'HazardReport', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'HazardReport', 'ALL'),
                      ('AUDITOR', 'read', 'TrainingRecord', 'ALL')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `delete from "role_permission" where "subject" in ('WorkOrder', 'WorkOrderKindSetting', 'HazardReport', 'TrainingRecord');`,
    );
    this.addSql(`alter table "work_order_assignee" drop constraint "work_order_assignee_work_order_id_foreign";`);

    this.addSql(`alter table "work_order_stop" drop constraint "work_order_stop_work_order_id_foreign";`);

    this.addSql(`drop table if exists "training_record" cascade;`);

    this.addSql(`drop table if exists "hazard_report" cascade;`);
    this.addSql(`drop table if exists "work_order" cascade;`);

    this.addSql(`drop table if exists "work_order_assignee" cascade;`);

    this.addSql(`drop table if exists "work_order_kind_setting" cascade;`);

    this.addSql(`drop table if exists "work_order_stop" cascade;`);
  }
}
