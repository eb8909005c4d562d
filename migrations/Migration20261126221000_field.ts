import { Migration } from '@mikro-orm/migrations';

export class Migration20261126221000_field extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "worker_position" ("id" bigserial primary key, "user_id" int not null, "latitude" numeric(9,6) not null, "longitude" numeric(9,6) not null, "accuracy_meters" numeric(7,1) null, "recorded_at" timestamptz not null, "received_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "worker_position_user_recorded_idx" on "worker_position" ("user_id", "recorded_at");`);

    this.addSql(
      `create table "field_photo" ("id" serial primary key, "storage_key" varchar(200) not null, "content_type" varchar(32) not null, "byte_size" int not null, "sha256" varchar(64) not null, "latitude" numeric(9,6) null, "longitude" numeric(9,6) null, "taken_at" timestamptz null, "uploaded_by_id" int not null, "org_unit_id" int not null, "work_order_id" int null, "stop_id" int null, "hazard_report_id" int null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "field_photo" add constraint "field_photo_storage_key_unique" unique ("storage_key");`);
    this.addSql(`create index "field_photo_org_unit_id_index" on "field_photo" ("org_unit_id");`);
    this.addSql(`create index "field_photo_work_order_id_index" on "field_photo" ("work_order_id");`);
    this.addSql(`create index "field_photo_stop_id_index" on "field_photo" ("stop_id");`);
    this.addSql(`create index "field_photo_hazard_report_id_index" on "field_photo" ("hazard_report_id");`);
    this.addSql(`create index "field_photo_uploader_created_idx" on "field_photo" ("uploaded_by_id", "created_at");`);

    this.addSql(
      `alter table "worker_position" add constraint "worker_position_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "field_photo" add constraint "field_photo_uploaded_by_id_foreign" foreign key ("uploaded_by_id") references "app_user" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "field_photo" add constraint "field_photo_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "field_photo" add constraint "field_photo_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "field_photo" add constraint "field_photo_stop_id_foreign" foreign key ("stop_id") references "work_order_stop" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "field_photo" add constraint "field_photo_hazard_report_id_foreign" foreign key ("hazard_report_id") references "hazard_report" ("id") on update cascade on delete set null;`,
    );

    // Default rules for the roles an installation already has (permissions.ts holds the same).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'WorkerPosition', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'read', 'WorkerPosition', 'ORG_SUBTREE'),
                      ('METER_READER', 'read', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('METER_READER', 'create', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('METER_READER', 'create', 'WorkerPosition', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'read', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'create', 'FieldPhoto', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'create', 'WorkerPosition', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'FieldPhoto', 'ALL'),
                      ('AUDITOR', 'read', 'WorkerPosition', 'ALL')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" in ('FieldPhoto', 'WorkerPosition');`);
    this.addSql(`drop table if exists "worker_position" cascade;`);
    this.addSql(`drop table if exists "field_photo" cascade;`);
  }
}
