import { Migration } from '@mikro-orm/migrations';

export class Migration20261126222000_reading_routes extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "reading_route" ("id" serial primary key, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(128) not null, "org_unit_id" int not null, "reading_day" smallint not null, "window_start" varchar(5) not null, "window_end" varchar(5) not null, "active" boolean not null default true, "generated" boolean not null default false, constraint reading_route_reading_day check ("reading_day" >= 1 and "reading_day" <= 28));`,
    );
    this.addSql(`create index "reading_route_org_day_idx" on "reading_route" ("org_unit_id", "reading_day");`);

    this.addSql(
      `create table "reading_route_box" ("id" serial primary key, "route_id" int not null, "meter_box_id" int not null, "seq" smallint not null, "active" boolean not null default true);`,
    );
    this.addSql(`create index "reading_route_box_meter_box_id_index" on "reading_route_box" ("meter_box_id");`);
    this.addSql(
      `create unique index "reading_route_box_active_uq" on "reading_route_box" ("meter_box_id") where "active";`,
    );
    this.addSql(
      `alter table "reading_route_box" add constraint "reading_route_box_box_uq" unique ("route_id", "meter_box_id");`,
    );
    this.addSql(
      `alter table "reading_route_box" add constraint "reading_route_box_seq_uq" unique ("route_id", "seq");`,
    );

    this.addSql(
      `alter table "reading_route" add constraint "reading_route_org_unit_id_foreign" foreign key ("org_unit_id") references "org_unit" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "reading_route_box" add constraint "reading_route_box_route_id_foreign" foreign key ("route_id") references "reading_route" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "reading_route_box" add constraint "reading_route_box_meter_box_id_foreign" foreign key ("meter_box_id") references "meter_box" ("id") on update cascade on delete cascade;`,
    );

    // Default rules for the roles an installation already has (permissions.ts holds the same).
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'ReadingRoute', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'create', 'ReadingRoute', 'ORG_SUBTREE'),
                      ('STATION_MANAGER', 'update', 'ReadingRoute', 'ORG_SUBTREE'),
                      ('METER_READER', 'read', 'ReadingRoute', 'ORG_SUBTREE'),
                      ('INSPECTOR', 'read', 'ReadingRoute', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'ReadingRoute', 'ALL')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" = 'ReadingRoute';`);
    this.addSql(`alter table "reading_route_box" drop constraint "reading_route_box_route_id_foreign";`);

    this.addSql(`drop table if exists "reading_route" cascade;`);

    this.addSql(`drop table if exists "reading_route_box" cascade;`);
  }
}
