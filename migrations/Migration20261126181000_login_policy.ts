import { Migration } from '@mikro-orm/migrations';

export class Migration20261126181000_login_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "login_policy" ("id" serial primary key, "role" text check ("role" in ('ADMIN', 'STATION_MANAGER', 'METER_READER', 'INSPECTOR', 'AUDITOR', 'CUSTOMER', 'COLLECTOR_SERVICE')) null, "user_id" int null, "allowed_cidrs" text[] null, "windows" jsonb null, "require_totp" boolean not null default false, "max_failures" int not null, "lockout_seconds" int not null, "lockout_max_seconds" int not null, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "login_policy" add constraint "login_policy_role_uq" unique ("role");`);
    this.addSql(`alter table "login_policy" add constraint "login_policy_user_uq" unique ("user_id");`);
    this.addSql(
      `alter table "login_policy" add constraint "login_policy_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "login_policy" add constraint "login_policy_one_target" check (("role" is null) <> ("user_id" is null));`,
    );
    this.addSql(
      `create table "login_throttle" ("key" varchar(200) not null primary key, "failures" int not null, "last_failure_at" timestamptz not null, "locked_until" timestamptz null);`,
    );
    this.addSql(`alter table "app_user" add column "expires_at" timestamptz null;`);
    // Auditors of existing installations read the policies too (new ones get it from the defaults).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope") select 'AUDITOR', 'read', 'LoginPolicy', false, 'ALL' where exists (select 1 from "role_permission" where "role" = 'AUDITOR') and not exists (select 1 from "role_permission" where "role" = 'AUDITOR' and "subject" = 'LoginPolicy');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_policy" cascade;`);
    this.addSql(`drop table if exists "login_throttle" cascade;`);
    this.addSql(`alter table "app_user" drop column "expires_at";`);
  }
}
