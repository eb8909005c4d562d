import { Migration } from '@mikro-orm/migrations';

export class Migration20261126130000_collection extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "channel" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(128) not null, "plugin_id" varchar(64) not null, "settings" jsonb not null, "org_unit_id" int not null, "enabled" boolean not null default true, "interval_minutes" smallint not null default 15, "status" text check ("status" in ('OK', 'INVALID_SETTINGS', 'PLUGIN_MISSING')) not null default 'OK', "status_detail" varchar(512) null);`,
    );
    this.addSql(`create index "channel_org_unit_id_index" on "channel" ("org_unit_id");`);

    this.addSql(
      `create table "meter_collection" ("id" serial primary key, "meter_id" int not null, "channel_id" int not null, "settings" jsonb not null, "points" jsonb not null, "status" text check ("status" in ('OK', 'INVALID_SETTINGS', 'PLUGIN_MISSING')) not null default 'OK', "status_detail" varchar(512) null, "last_success_at" timestamptz null, "last_failure_at" timestamptz null, "last_error" varchar(255) null);`,
    );
    this.addSql(`alter table "meter_collection" add constraint "meter_collection_meter_uq" unique ("meter_id");`);
    this.addSql(`create index "meter_collection_channel_id_index" on "meter_collection" ("channel_id");`);

    this.addSql(
      `alter table "channel" add constraint "channel_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "meter_collection" add constraint "meter_collection_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "meter_collection" add constraint "meter_collection_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete restrict;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "meter_collection" drop constraint "meter_collection_channel_id_foreign";`);

    this.addSql(`drop table if exists "channel" cascade;`);

    this.addSql(`drop table if exists "meter_collection" cascade;`);
  }
}
