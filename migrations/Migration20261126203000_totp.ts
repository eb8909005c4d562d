import { Migration } from '@mikro-orm/migrations';

export class Migration20261126203000_totp extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "app_user" add column "totp_secret" text null, add column "totp_enabled_at" timestamptz null, add column "totp_last_step" int null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "app_user" drop column "totp_secret", drop column "totp_enabled_at", drop column "totp_last_step";`,
    );
  }
}
