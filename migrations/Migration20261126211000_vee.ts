import { Migration } from '@mikro-orm/migrations';

export class Migration20261126211000_vee extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "reading" add column "estimation_method" text check ("estimation_method" in ('LINEAR_INTERPOLATION', 'LIKE_DAY', 'AVERAGE_DAILY_USE')) null;`,
    );
    this.addSql(
      `create table "reading_version" ("id" bigserial primary key, "reading_id" bigint not null, "version" int not null, "value" numeric(20,4) not null, "source" text check ("source" in ('AUTOMATIC', 'MANUAL', 'ESTIMATED', 'EDITED')) not null, "quality" text check ("quality" in ('GOOD', 'SUSPECT', 'BAD')) not null, "flags" smallint not null default 0, "method" text check ("method" in ('LINEAR_INTERPOLATION', 'LIKE_DAY', 'AVERAGE_DAILY_USE')) null, "reason" varchar(500) not null, "changed_by_id" int null, "changed_at" timestamptz not null default now());`,
    );
    this.addSql(
      `alter table "reading_version" add constraint "reading_version_reading_version_uq" unique ("reading_id", "version");`,
    );
    this.addSql(
      `alter table "reading_version" add constraint "reading_version_reading_id_foreign" foreign key ("reading_id") references "reading" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "reading_version" add constraint "reading_version_changed_by_id_foreign" foreign key ("changed_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `create table "vee_rule_set" ("id" serial primary key, "name" varchar(100) not null, "org_unit_id" int not null, "customer_category" text check ("customer_category" in ('RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL', 'AGRICULTURAL')) null, "params" jsonb not null, "enabled_rules" text[] not null, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "vee_rule_set_org_unit_id_index" on "vee_rule_set" ("org_unit_id");`);
    this.addSql(
      `create unique index "vee_rule_set_unit_category_uq" on "vee_rule_set" ("org_unit_id", coalesce("customer_category", ''));`,
    );
    this.addSql(
      `alter table "vee_rule_set" add constraint "vee_rule_set_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete cascade;`,
    );

    // Installations that already have their rules get this release's defaults: station managers
    // validate, estimate and edit the readings of their subtree and keep its VEE rule sets;
    // auditors read every rule set. Admins can take them away with setRolePermissions.
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select r.role, r.action, r.subject, false, r.scope
       from (values ('STATION_MANAGER', 'update', 'Reading', 'ORG_SUBTREE'),
                    ('STATION_MANAGER', 'read', 'VeeRuleSet', 'ORG_SUBTREE'),
                    ('STATION_MANAGER', 'create', 'VeeRuleSet', 'ORG_SUBTREE'),
                    ('STATION_MANAGER', 'update', 'VeeRuleSet', 'ORG_SUBTREE'),
                    ('STATION_MANAGER', 'delete', 'VeeRuleSet', 'ORG_SUBTREE'),
                    ('AUDITOR', 'read', 'VeeRuleSet', 'ALL')) as r(role, action, subject, scope)
       where exists (select 1 from "role_permission" p where p.role = r.role)
         and not exists (select 1 from "role_permission" p
                          where p.role = r.role and p.action = r.action and p.subject = r.subject and p.fields is null);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" = 'VeeRuleSet';`);
    this.addSql(
      `delete from "role_permission" where "role" = 'STATION_MANAGER' and "action" = 'update' and "subject" = 'Reading';`,
    );
    this.addSql(`drop table if exists "vee_rule_set" cascade;`);
    this.addSql(`drop table if exists "reading_version" cascade;`);
    this.addSql(`alter table "reading" drop column "estimation_method";`);
  }
}
