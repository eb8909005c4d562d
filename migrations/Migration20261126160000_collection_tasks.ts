import { Migration } from '@mikro-orm/migrations';

export class Migration20261126160000_collection_tasks extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "collection_schedule" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(128) not null, "kind" text check ("kind" in ('INTERVAL', 'DAILY_FROZEN')) not null, "org_unit_id" int not null, "channel_id" int null, "interval_minutes" smallint not null default 15, "window_start" varchar(5) null, "window_end" varchar(5) null, "max_attempts" smallint not null default 4, "enabled" boolean not null default true);`,
    );
    this.addSql(`create index "collection_schedule_org_unit_id_index" on "collection_schedule" ("org_unit_id");`);
    this.addSql(`create index "collection_schedule_channel_id_index" on "collection_schedule" ("channel_id");`);

    this.addSql(
      `create table "collection_task" ("id" bigserial primary key, "schedule_id" int null, "kind" text check ("kind" in ('INTERVAL', 'DAILY_FROZEN', 'ON_DEMAND')) not null, "slot" timestamptz not null, "org_unit_id" int not null, "status" text check ("status" in ('RUNNING', 'RETRYING', 'COMPLETED', 'INCOMPLETE')) not null default 'RUNNING', "meters" int not null default 0, "succeeded" int not null default 0, "retrying" int not null default 0, "gave_up" int not null default 0, "started_at" timestamptz not null default now(), "finished_at" timestamptz null, "requested_by_id" int null);`,
    );
    this.addSql(`create index "collection_task_org_started_idx" on "collection_task" ("org_unit_id", "started_at");`);
    this.addSql(
      `alter table "collection_task" add constraint "collection_task_slot_uq" unique ("schedule_id", "slot");`,
    );

    this.addSql(
      `create table "collection_retry" ("id" bigserial primary key, "task_id" bigint not null, "meter_id" int not null, "status" text check ("status" in ('PENDING', 'RECOVERED', 'GAVE_UP')) not null default 'PENDING', "attempts" smallint not null default 1, "next_attempt_at" timestamptz null, "last_error" varchar(255) not null, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "collection_retry_meter_id_index" on "collection_retry" ("meter_id");`);
    this.addSql(
      `create index "collection_retry_due_idx" on "collection_retry" ("next_attempt_at") where "status" = 'PENDING';`,
    );
    this.addSql(
      `alter table "collection_retry" add constraint "collection_retry_task_meter_uq" unique ("task_id", "meter_id");`,
    );

    this.addSql(
      `alter table "collection_schedule" add constraint "collection_schedule_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "collection_schedule" add constraint "collection_schedule_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "collection_task" add constraint "collection_task_schedule_id_foreign" foreign key ("schedule_id") references "collection_schedule" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "collection_task" add constraint "collection_task_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "collection_task" add constraint "collection_task_requested_by_id_foreign" foreign key ("requested_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "collection_retry" add constraint "collection_retry_task_id_foreign" foreign key ("task_id") references "collection_task" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "collection_retry" add constraint "collection_retry_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete cascade;`,
    );

    // A channel's interval becomes a schedule for the meters on it: collection goes on as before.
    this.addSql(
      `insert into "collection_schedule" ("name", "kind", "org_unit_id", "channel_id", "interval_minutes", "enabled") select left("name", 100) || ' every ' || "interval_minutes" || ' min', 'INTERVAL', "org_unit_id", "id", "interval_minutes", true from "channel";`,
    );
    this.addSql(`alter table "channel" drop column "interval_minutes";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "collection_task" drop constraint "collection_task_schedule_id_foreign";`);

    this.addSql(`alter table "collection_retry" drop constraint "collection_retry_task_id_foreign";`);

    this.addSql(`drop table if exists "collection_schedule" cascade;`);

    this.addSql(`drop table if exists "collection_task" cascade;`);

    this.addSql(`drop table if exists "collection_retry" cascade;`);

    this.addSql(`alter table "channel" add column "interval_minutes" int2 not null default 15;`);
    // (the schedules are gone with their table; channels fall back to 15 minutes)
  }
}
