import { Migration } from '@mikro-orm/migrations';

export class Migration20261126213000_settlements extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "settlement_run" ("id" serial primary key, "org_unit_id" int not null, "period" varchar(7) not null, "status" text check ("status" in ('RUNNING', 'COMPLETED', 'INTERRUPTED')) not null default 'RUNNING', "started_by_id" int null, "started_at" timestamptz not null default now(), "finished_at" timestamptz null, "heartbeat_at" timestamptz not null default now(), "customer_count" int not null default 0, "processed_count" int not null default 0, "billed_count" int not null default 0, "unchanged_count" int not null default 0, "failed_count" int not null default 0, "failures" jsonb not null default '[]', "total_amount" numeric(16,2) not null default '0', "total_kwh" numeric(24,8) not null default '0');`,
    );
    this.addSql(`create index "settlement_run_org_unit_id_index" on "settlement_run" ("org_unit_id");`);
    this.addSql(`create index "settlement_run_period_index" on "settlement_run" ("period");`);
    this.addSql(
      `create unique index "settlement_run_running_uq" on "settlement_run" ("org_unit_id", "period") where "status" = 'RUNNING';`,
    );

    this.addSql(
      `create table "bill" ("id" serial primary key, "customer_id" int not null, "period" varchar(7) not null, "version" int not null default 1, "status" text check ("status" in ('DRAFT', 'APPROVED', 'ISSUED', 'SUPERSEDED')) not null default 'DRAFT', "run_id" int null, "cycle_start" date not null, "cycle_end" date not null, "tariff_code" varchar(32) not null, "total_kwh" numeric(24,8) not null, "total_amount" numeric(14,2) not null, "difference" numeric(14,2) null, "reason" varchar(255) null, "estimated" boolean not null default false, "tier_used_before" numeric(24,8) not null default '0', "tier_used_after" numeric(24,8) not null default '0', "notes" jsonb not null default '[]', "determinants" jsonb not null default '[]', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "approved_at" timestamptz null, "approved_by_id" int null, "issued_at" timestamptz null, "issued_by_id" int null);`,
    );
    this.addSql(`create index "bill_customer_id_index" on "bill" ("customer_id");`);
    this.addSql(`create index "bill_period_index" on "bill" ("period");`);
    this.addSql(`create index "bill_run_id_index" on "bill" ("run_id");`);
    this.addSql(
      `create unique index "bill_one_draft_uq" on "bill" ("customer_id", "period") where "status" = 'DRAFT';`,
    );
    this.addSql(
      `alter table "bill" add constraint "bill_customer_period_version_uq" unique ("customer_id", "period", "version");`,
    );

    this.addSql(
      `create table "bill_line" ("id" bigserial primary key, "bill_id" int not null, "position" smallint not null, "kind" text check ("kind" in ('ENERGY', 'TIER', 'FIXED', 'SURCHARGE')) not null, "description" varchar(255) not null, "band" varchar(2) null, "tier" smallint null, "quantity" numeric(24,8) not null, "unit_price" numeric(16,8) not null, "amount" numeric(14,2) not null, "period_start" date not null, "period_end" date not null, "tariff_effective_from" date not null);`,
    );
    this.addSql(`create index "bill_line_bill_id_index" on "bill_line" ("bill_id");`);

    this.addSql(
      `alter table "settlement_run" add constraint "settlement_run_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "settlement_run" add constraint "settlement_run_started_by_id_foreign" foreign key ("started_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "bill" add constraint "bill_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "bill" add constraint "bill_run_id_foreign" foreign key ("run_id") references "settlement_run" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "bill" add constraint "bill_approved_by_id_foreign" foreign key ("approved_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "bill" add constraint "bill_issued_by_id_foreign" foreign key ("issued_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "bill_line" add constraint "bill_line_bill_id_foreign" foreign key ("bill_id") references "bill" ("id") on update cascade on delete cascade;`,
    );
    // Existing installations get the new default rules of roles they already have (new ones get
    // them from the defaults at first start).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'SettlementRun', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'SettlementRun', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'read', 'Bill', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'Bill', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'SettlementRun', 'ALL'),
                      ('AUDITOR', 'read', 'Bill', 'ALL'),
                      ('CUSTOMER', 'read', 'Bill', 'OWN_ACCOUNT')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "bill" drop constraint "bill_run_id_foreign";`);

    this.addSql(`alter table "bill_line" drop constraint "bill_line_bill_id_foreign";`);

    this.addSql(`drop table if exists "settlement_run" cascade;`);

    this.addSql(`drop table if exists "bill" cascade;`);

    this.addSql(`drop table if exists "bill_line" cascade;`);
  }
}
