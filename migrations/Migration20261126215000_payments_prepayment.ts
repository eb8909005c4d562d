import { Migration } from '@mikro-orm/migrations';

/** Payments, balances and prepayment (ADR 0015). */
export class Migration20261126215000_payments_prepayment extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "customer" add column "prepaid" boolean not null default false, add column "low_balance_alert" numeric(14,2) null, add column "trip_below" numeric(14,2) not null default '0', add column "prepayment_state" text check ("prepayment_state" in ('NORMAL', 'LOW_BALANCE', 'TRIPPED', 'PERMITTED')) not null default 'NORMAL';`,
    );
    this.addSql(
      `alter table "customer" add constraint "customer_prepayment_thresholds" check ("low_balance_alert" is null or "low_balance_alert" >= "trip_below");`,
    );

    this.addSql(
      `create table "payment" ("id" serial primary key, "customer_id" int not null, "amount" numeric(14,2) not null, "method" text check ("method" in ('CASH', 'BANK', 'WECHAT', 'ALIPAY', 'COUNTER')) not null, "reference" varchar(64) null, "paid_at" timestamptz not null, "reverses_id" int null, "reason" varchar(255) null, "recorded_by_id" int null, "created_at" timestamptz not null default now(), constraint "payment_amount_sign" check (("reverses_id" is null and "amount" > 0 and "reference" is not null) or ("reverses_id" is not null and "amount" < 0)));`,
    );
    this.addSql(`alter table "payment" add constraint "payment_reference_uq" unique ("reference");`);
    this.addSql(`create index "payment_paid_at_index" on "payment" ("paid_at");`);
    this.addSql(`alter table "payment" add constraint "payment_reverses_uq" unique ("reverses_id");`);
    this.addSql(`create index "payment_customer_paid_at_idx" on "payment" ("customer_id", "paid_at");`);

    this.addSql(
      `create table "prepayment_event" ("id" serial primary key, "customer_id" int not null, "meter_id" int null, "kind" text check ("kind" in ('NOTIFY_LOW_BALANCE', 'TRIP', 'PERMIT_CLOSE')) not null, "state" text check ("state" in ('NORMAL', 'LOW_BALANCE', 'TRIPPED', 'PERMITTED')) not null, "balance" numeric(14,2) not null, "outcome" text check ("outcome" in ('PENDING', 'DONE', 'REFUSED', 'FAILED', 'UNSUPPORTED', 'NOT_COLLECTED')) null, "detail" varchar(500) null, "field_visit_needed" boolean not null default false, "field_visit_done_at" timestamptz null, "requested_by_id" int null, "at" timestamptz not null default now());`,
    );
    this.addSql(`create index "prepayment_event_meter_id_index" on "prepayment_event" ("meter_id");`);
    this.addSql(`create index "prepayment_event_customer_idx" on "prepayment_event" ("customer_id", "at");`);
    this.addSql(
      `create index "prepayment_event_field_visit_idx" on "prepayment_event" ("at") where "field_visit_needed" and "field_visit_done_at" is null;`,
    );

    this.addSql(
      `alter table "payment" add constraint "payment_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "payment" add constraint "payment_reverses_id_foreign" foreign key ("reverses_id") references "payment" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "payment" add constraint "payment_recorded_by_id_foreign" foreign key ("recorded_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "prepayment_event" add constraint "prepayment_event_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "prepayment_event" add constraint "prepayment_event_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "prepayment_event" add constraint "prepayment_event_requested_by_id_foreign" foreign key ("requested_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    // Existing installations get the new default rules of roles they already have (new ones get
    // them from the defaults at first start).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'Payment', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'Payment', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'Payment', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'read', 'PrepaymentEvent', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'Payment', 'ALL'),
                      ('AUDITOR', 'read', 'PrepaymentEvent', 'ALL'),
                      ('CUSTOMER', 'read', 'Payment', 'OWN_ACCOUNT'),
                      ('CUSTOMER', 'read', 'PrepaymentEvent', 'OWN_ACCOUNT')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" in ('Payment', 'PrepaymentEvent');`);
    this.addSql(`drop table if exists "prepayment_event" cascade;`);
    this.addSql(`drop table if exists "payment" cascade;`);
    this.addSql(`alter table "customer" drop constraint "customer_prepayment_thresholds";`);
    this.addSql(
      `alter table "customer" drop column "prepaid", drop column "low_balance_alert", drop column "trip_below", drop column "prepayment_state";`,
    );
  }
}
