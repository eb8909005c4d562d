import { Migration } from '@mikro-orm/migrations';

export class Migration20261126170000_meter_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "meter_event" ("id" bigserial primary key, "meter_id" int not null, "type" varchar(64) not null, "occurred_at" timestamptz not null, "ended_at" timestamptz null, "detail" jsonb null, "received_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "meter_event_occurred_idx" on "meter_event" ("occurred_at");`);
    this.addSql(
      `alter table "meter_event" add constraint "meter_event_uq" unique ("meter_id", "type", "occurred_at");`,
    );

    this.addSql(
      `alter table "meter_event" add constraint "meter_event_meter_id_foreign" foreign key ("meter_id") references "meter" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "collection_schedule" add column "read_events" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "meter_event" cascade;`);

    this.addSql(`alter table "collection_schedule" drop column "read_events";`);
  }
}
