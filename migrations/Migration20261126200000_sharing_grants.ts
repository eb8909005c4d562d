import { Migration } from '@mikro-orm/migrations';

export class Migration20261126200000_sharing_grants extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "sharing_grant" ("id" serial primary key, "source_unit_id" int not null, "grantee_unit_id" int null, "grantee_user_id" int null, "shares" jsonb not null, "purpose" varchar(500) not null, "expires_at" timestamptz not null, "created_by_id" int null, "created_at" timestamptz not null default now(), "revoked_at" timestamptz null, "revoked_by_id" int null, "revoke_reason" varchar(500) null);`,
    );
    this.addSql(`create index "sharing_grant_source_unit_id_index" on "sharing_grant" ("source_unit_id");`);
    this.addSql(
      `create index "sharing_grant_unit_active_idx" on "sharing_grant" ("grantee_unit_id", "expires_at") where "revoked_at" is null;`,
    );
    this.addSql(
      `create index "sharing_grant_user_active_idx" on "sharing_grant" ("grantee_user_id", "expires_at") where "revoked_at" is null;`,
    );

    this.addSql(
      `alter table "sharing_grant" add constraint "sharing_grant_source_unit_id_foreign" foreign key ("source_unit_id") references "org_unit" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sharing_grant" add constraint "sharing_grant_grantee_unit_id_foreign" foreign key ("grantee_unit_id") references "org_unit" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sharing_grant" add constraint "sharing_grant_grantee_user_id_foreign" foreign key ("grantee_user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sharing_grant" add constraint "sharing_grant_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "sharing_grant" add constraint "sharing_grant_revoked_by_id_foreign" foreign key ("revoked_by_id") references "app_user" ("id") on update cascade on delete set null;`,
    );

    // An installation that already has its rules (the defaults are copied only on first start)
    // gets the new defaults of this release: station managers share their own subtree, auditors
    // read every grant. Admins can take them away with setRolePermissions.
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select r.role, a.action, 'SharingGrant', false, r.scope
       from (values ('STATION_MANAGER', 'ORG_SUBTREE'), ('AUDITOR', 'ALL')) as r(role, scope)
       cross join (values ('read'), ('create'), ('update')) as a(action)
       where (r.role = 'STATION_MANAGER' or a.action = 'read')
         and exists (select 1 from "role_permission" p where p.role = r.role);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" = 'SharingGrant';`);
    this.addSql(`drop table if exists "sharing_grant" cascade;`);
  }
}
