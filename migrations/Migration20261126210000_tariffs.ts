import { Migration } from '@mikro-orm/migrations';

export class Migration20261126210000_tariffs extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "tariff" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "code" varchar(32) not null, "name" varchar(128) not null, "customer_category" text check ("customer_category" in ('RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL', 'AGRICULTURAL')) not null, "is_default" boolean not null default false, "tier_basis" text check ("tier_basis" in ('ANNUAL', 'MONTHLY')) not null);`,
    );
    this.addSql(`alter table "tariff" add constraint "tariff_code_unique" unique ("code");`);
    // At most one default tariff per customer category.
    this.addSql(`create unique index "tariff_default_uq" on "tariff" ("customer_category") where "is_default";`);

    this.addSql(
      `create table "tariff_version" ("id" serial primary key, "tariff_id" int not null, "effective_from" date not null, "terms" jsonb not null, "created_by_id" int null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(
      `alter table "tariff_version" add constraint "tariff_version_effective_uq" unique ("tariff_id", "effective_from");`,
    );
    this.addSql(
      `alter table "tariff_version" add constraint "tariff_version_tariff_id_foreign" foreign key ("tariff_id") references "tariff" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "tariff_version" add constraint "tariff_version_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(`alter table "customer" add column "tariff_id" int null;`);
    this.addSql(
      `alter table "customer" add constraint "customer_tariff_id_foreign" foreign key ("tariff_id") references "tariff" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(`create index "customer_tariff_id_index" on "customer" ("tariff_id");`);

    // An installation that already has its rules (the defaults are copied only on first start)
    // gets this release's defaults: tariffs are company-wide prices, readable by every role but
    // the collector service. Admins manage them through "manage all".
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select r.role, 'read', 'Tariff', false, 'ALL'
       from (values ('STATION_MANAGER'), ('METER_READER'), ('INSPECTOR'), ('AUDITOR'), ('CUSTOMER')) as r(role)
       where exists (select 1 from "role_permission" p where p.role = r.role);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" = 'Tariff';`);
    this.addSql(`alter table "customer" drop constraint "customer_tariff_id_foreign";`);
    this.addSql(`drop index "customer_tariff_id_index";`);
    this.addSql(`alter table "customer" drop column "tariff_id";`);
    this.addSql(`drop table if exists "tariff_version" cascade;`);
    this.addSql(`drop table if exists "tariff" cascade;`);
  }
}
