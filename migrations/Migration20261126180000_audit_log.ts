import { Migration } from '@mikro-orm/migrations';

export class Migration20261126180000_audit_log extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_record" ("id" bigint not null primary key, "at" timestamptz not null, "actor_id" int null, "actor" varchar(64) null, "actor_role" varchar(32) null, "ip" varchar(64) null, "request_id" varchar(64) null, "action" varchar(64) not null, "outcome" varchar(32) not null, "details" text not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null);`,
    );
    this.addSql(`create index "audit_record_at_idx" on "audit_record" ("at");`);
    this.addSql(`create index "audit_record_actor_idx" on "audit_record" ("actor_id", "id");`);
    this.addSql(`create index "audit_record_action_idx" on "audit_record" ("action", "id");`);
    // Append-only: the application never changes a record. Someone who drops or disables these
    // triggers (a superuser can) is still found out by the hash chain.
    this.addSql(
      `create function "audit_record_append_only"() returns trigger language plpgsql as $$ begin raise exception 'audit_record is append-only'; end $$;`,
    );
    this.addSql(
      `create trigger "audit_record_no_change" before update or delete on "audit_record" for each row execute function "audit_record_append_only"();`,
    );
    this.addSql(
      `create trigger "audit_record_no_truncate" before truncate on "audit_record" for each statement execute function "audit_record_append_only"();`,
    );
    // Installations whose auditors already have rules: they read the audit log too (new ones get it
    // from the default rules).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope") select 'AUDITOR', 'read', 'AuditRecord', false, 'ALL' where exists (select 1 from "role_permission" where "role" = 'AUDITOR') and not exists (select 1 from "role_permission" where "role" = 'AUDITOR' and "subject" = 'AuditRecord');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_record" cascade;`);
    this.addSql(`drop function if exists "audit_record_append_only"();`);
  }
}
