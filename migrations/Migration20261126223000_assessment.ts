import { Migration } from '@mikro-orm/migrations';

/**
 * Assessment (KPIs): its read rules for the roles an installation already has, and field staff
 * reading their own training records (permissions.ts holds the same). No table: KPIs are computed.
 */
export class Migration20261126223000_assessment extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `insert into "role_permission" ("role", "action", "subject", "inverted", "scope")
       select v.role, v.action, v.subject, false, v.scope
         from (values ('STATION_MANAGER', 'read', 'Assessment', 'ORG_SUBTREE'),
                      ('AUDITOR', 'read', 'Assessment', 'ALL'),
                      ('METER_READER', 'read', 'Assessment', 'OWN_ACCOUNT'),
                      ('INSPECTOR', 'read', 'Assessment', 'OWN_ACCOUNT'),
                      ('METER_READER', 'read', 'TrainingRecord', 'OWN_ACCOUNT'),
                      ('INSPECTOR', 'read', 'TrainingRecord', 'OWN_ACCOUNT')) as v(role, action, subject, scope)
        where exists (select 1 from "role_permission" r where r.role = v.role)
          and not exists (select 1 from "role_permission" r where r.role = v.role and r.subject = v.subject and r.action = v.action);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "role_permission" where "subject" = 'Assessment';`);
    this.addSql(
      `delete from "role_permission" where "subject" = 'TrainingRecord' and "scope" = 'OWN_ACCOUNT' and "role" in ('METER_READER', 'INSPECTOR');`,
    );
  }
}
