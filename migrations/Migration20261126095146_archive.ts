import { Migration } from '@mikro-orm/migrations';

export class Migration20261126095146_archive extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "org_unit" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "kind" text check ("kind" in ('COMPANY', 'BUREAU', 'SUPPLY_STATION', 'TRANSFORMER_AREA')) not null, "code" varchar(32) not null, "name" varchar(128) not null, "parent_id" int null, "path" varchar(512) not null, "time_zone" varchar(64) null, "supply_meter_id" int null);`,
    );
    this.addSql(`alter table "org_unit" add constraint "org_unit_code_unique" unique ("code");`);
    this.addSql(`create index "org_unit_parent_id_index" on "org_unit" ("parent_id");`);
    this.addSql(`create index "org_unit_path_idx" on "org_unit" ("path" text_pattern_ops);`);

    this.addSql(
      `create table "meter_box" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "barcode" varchar(64) not null, "address" varchar(255) not null, "latitude" numeric(9,6) null, "longitude" numeric(9,6) null, "org_unit_id" int not null);`,
    );
    this.addSql(`alter table "meter_box" add constraint "meter_box_barcode_unique" unique ("barcode");`);
    this.addSql(`create index "meter_box_org_unit_id_index" on "meter_box" ("org_unit_id");`);

    this.addSql(
      `create table "meter" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "asset_no" varchar(32) not null, "barcode" varchar(64) not null, "comm_address" varchar(12) not null, "protocol" text check ("protocol" in ('DLT645_2007', 'DLT645_1997', 'MODBUS', 'DLMS', 'IEC62056_21', 'MQTT', 'SIMULATED', 'MANUAL')) not null, "manufacturer" varchar(64) not null, "model" varchar(64) not null, "ct_ratio" numeric(12,4) not null default '1', "pt_ratio" numeric(12,4) not null default '1', "register_digits" smallint not null default 6, "register_decimals" smallint not null default 2, "accuracy_class" varchar(8) not null, "status" text check ("status" in ('IN_STOCK', 'INSTALLED', 'REMOVED', 'SCRAPPED')) not null default 'IN_STOCK', "installed_at" timestamptz null, "removed_at" timestamptz null, "scrapped_at" timestamptz null, "next_verification_date" date null, "meter_box_id" int null, "org_unit_id" int not null);`,
    );
    this.addSql(`alter table "meter" add constraint "meter_asset_no_unique" unique ("asset_no");`);
    this.addSql(`alter table "meter" add constraint "meter_barcode_unique" unique ("barcode");`);
    this.addSql(`create index "meter_comm_address_index" on "meter" ("comm_address");`);
    this.addSql(`create index "meter_next_verification_date_index" on "meter" ("next_verification_date");`);
    this.addSql(`create index "meter_meter_box_id_index" on "meter" ("meter_box_id");`);
    this.addSql(`create index "meter_org_unit_id_index" on "meter" ("org_unit_id");`);

    this.addSql(
      `create table "customer" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_no" varchar(20) not null, "name" varchar(128) not null, "category" text check ("category" in ('RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL', 'AGRICULTURAL')) not null, "status" text check ("status" in ('ACTIVE', 'CLOSED')) not null default 'ACTIVE', "phone" varchar(32) null, "id_number" varchar(32) null, "address" varchar(255) not null, "contracted_capacity" numeric(12,2) not null, "org_unit_id" int not null, "reading_window_start" varchar(5) not null default '00:00', "reading_window_end" varchar(5) not null default '06:00', "billing_day" smallint not null default 1);`,
    );
    this.addSql(`alter table "customer" add constraint "customer_account_no_unique" unique ("account_no");`);
    this.addSql(`create index "customer_org_unit_id_index" on "customer" ("org_unit_id");`);

    this.addSql(
      `create table "reading" ("id" bigserial primary key, "meter_id" int not null, "register" text check ("register" in ('FORWARD_ACTIVE_TOTAL', 'FORWARD_ACTIVE_T1', 'FORWARD_ACTIVE_T2', 'FORWARD_ACTIVE_T3', 'FORWARD_ACTIVE_T4', 'REVERSE_ACTIVE_TOTAL', 'FORWARD_REACTIVE_TOTAL', 'REVERSE_REACTIVE_TOTAL', 'MAX_DEMAND_FORWARD_ACTIVE')) not null, "value" numeric(20,4) not null, "measured_at" timestamptz not null, "received_at" timestamptz not null default now(), "source" text check ("source" in ('AUTOMATIC', 'MANUAL', 'ESTIMATED', 'EDITED')) not null, "quality" text check ("quality" in ('GOOD', 'SUSPECT', 'BAD')) not null default 'GOOD');`,
    );
    this.addSql(`create index "reading_measured_at_brin" on "reading" using brin ("measured_at");`);
    this.addSql(`create index "reading_meter_time_idx" on "reading" ("meter_id", "measured_at");`);
    this.addSql(
      `alter table "reading" add constraint "reading_meter_register_time_uq" unique ("meter_id", "register", "measured_at");`,
    );

    this.addSql(
      `create table "role_permission" ("id" serial primary key, "role" text check ("role" in ('ADMIN', 'STATION_MANAGER', 'METER_READER', 'INSPECTOR', 'AUDITOR', 'CUSTOMER', 'COLLECTOR_SERVICE')) not null, "action" varchar(32) not null, "subject" varchar(32) not null, "fields" text[] null, "inverted" boolean not null default false, "scope" text check ("scope" in ('ALL', 'ORG_SUBTREE', 'OWN_ACCOUNT')) not null default 'ALL');`,
    );
    this.addSql(`create index "role_permission_role_index" on "role_permission" ("role");`);

    this.addSql(
      `create table "service_point" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "code" varchar(32) not null, "customer_id" int not null, "meter_box_id" int null);`,
    );
    this.addSql(`alter table "service_point" add constraint "service_point_code_unique" unique ("code");`);
    this.addSql(`create index "service_point_customer_id_index" on "service_point" ("customer_id");`);

    this.addSql(
      `create table "meter_assignment" ("id" serial primary key, "service_point_id" int not null, "meter_id" int not null, "installed_at" timestamptz not null, "initial_reading" numeric(20,4) not null, "removed_at" timestamptz null, "final_reading" numeric(20,4) null, "reason" varchar(255) null);`,
    );
    this.addSql(`create index "meter_assignment_service_point_id_index" on "meter_assignment" ("service_point_id");`);
    this.addSql(`create index "meter_assignment_meter_id_index" on "meter_assignment" ("meter_id");`);
    this.addSql(
      `create unique index "meter_assignment_open_sp_uq" on "meter_assignment" ("service_point_id") where "removed_at" is null;`,
    );
    this.addSql(
      `create unique index "meter_assignment_open_meter_uq" on "meter_assignment" ("meter_id") where "removed_at" is null;`,
    );

    this.addSql(
      `create table "app_user" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "username" varchar(64) not null, "password_hash" varchar(255) not null, "display_name" varchar(128) not null, "role" text check ("role" in ('ADMIN', 'STATION_MANAGER', 'METER_READER', 'INSPECTOR', 'AUDITOR', 'CUSTOMER', 'COLLECTOR_SERVICE')) not null, "org_unit_id" int not null, "customer_id" int null, "active" boolean not null default true, "token_version" int not null default 0, "last_login_at" timestamptz null);`,
    );
    this.addSql(`alter table "app_user" add constraint "app_user_username_unique" unique ("username");`);
    this.addSql(`create index "app_user_org_unit_id_index" on "app_user" ("org_unit_id");`);

    this.addSql(
      `create table "refresh_token" ("id" uuid not null, "user_id" int not null, "family_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "refresh_token_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "refresh_token_user_id_index" on "refresh_token" ("user_id");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `alter table "org_unit" add constraint "org_unit_parent_id_foreign" foreign key ("parent_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "org_unit" add constraint "org_unit_supply_meter_id_foreign" foreign key ("supply_meter_id") references "meter" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "meter_box" add constraint "meter_box_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "meter" add constraint "meter_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "meter" add constraint "meter_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "customer" add constraint "customer_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "reading" add constraint "reading_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "service_point" add constraint "service_point_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "service_point" add constraint "service_point_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "meter_assignment" add constraint "meter_assignment_service_point_id_foreign" foreign key ("service_point_id") references "service_point" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "meter_assignment" add constraint "meter_assignment_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "app_user" add constraint "app_user_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "app_user" add constraint "app_user_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "refresh_token" add constraint "refresh_token_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "org_unit" drop constraint "org_unit_parent_id_foreign";`);

    this.addSql(`alter table "meter_box" drop constraint "meter_box_org_unit_id_foreign";`);

    this.addSql(`alter table "meter" drop constraint "meter_org_unit_id_foreign";`);

    this.addSql(`alter table "customer" drop constraint "customer_org_unit_id_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_org_unit_id_foreign";`);

    this.addSql(`alter table "meter" drop constraint "meter_meter_box_id_foreign";`);

    this.addSql(`alter table "service_point" drop constraint "service_point_meter_box_id_foreign";`);

    this.addSql(`alter table "org_unit" drop constraint "org_unit_supply_meter_id_foreign";`);

    this.addSql(`alter table "reading" drop constraint "reading_meter_id_foreign";`);

    this.addSql(`alter table "meter_assignment" drop constraint "meter_assignment_meter_id_foreign";`);

    this.addSql(`alter table "service_point" drop constraint "service_point_customer_id_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_customer_id_foreign";`);

    this.addSql(`alter table "meter_assignment" drop constraint "meter_assignment_service_point_id_foreign";`);

    this.addSql(`alter table "refresh_token" drop constraint "refresh_token_user_id_foreign";`);

    this.addSql(`drop table if exists "org_unit" cascade;`);

    this.addSql(`drop table if exists "meter_box" cascade;`);

    this.addSql(`drop table if exists "meter" cascade;`);

    this.addSql(`drop table if exists "customer" cascade;`);

    this.addSql(`drop table if exists "reading" cascade;`);

    this.addSql(`drop table if exists "role_permission" cascade;`);

    this.addSql(`drop table if exists "service_point" cascade;`);

    this.addSql(`drop table if exists "meter_assignment" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "refresh_token" cascade;`);
  }
}
