import { Migration } from '@mikro-orm/migrations';

export class Migration20261126140000_alarm_cleared extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "alarm" add column "cleared_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alarm" drop column "cleared_at";`);
  }
}
