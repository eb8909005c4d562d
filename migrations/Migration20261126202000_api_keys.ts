import { Migration } from '@mikro-orm/migrations';

export class Migration20261126202000_api_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "api_key" ("id" serial primary key, "name" varchar(128) not null, "user_id" int not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "channel_ids" int[] null, "created_by_id" int null, "created_at" timestamptz not null default now(), "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null);`,
    );
    this.addSql(`create index "api_key_user_id_index" on "api_key" ("user_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
    this.addSql(
      `alter table "api_key" add constraint "api_key_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "api_key" add constraint "api_key_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    // Auditors of existing installations list the keys too (new ones get it from the defaults).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope") select 'AUDITOR', 'read', 'ApiKey', false, 'ALL' where exists (select 1 from "role_permission" where "role" = 'AUDITOR') and not exists (select 1 from "role_permission" where "role" = 'AUDITOR' and "subject" = 'ApiKey');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_key" cascade;`);
  }
}
