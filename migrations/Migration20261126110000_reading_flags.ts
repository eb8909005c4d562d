import { Migration } from '@mikro-orm/migrations';

export class Migration20261126110000_reading_flags extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "reading" add column "flags" smallint not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "reading" drop column "flags";`);
  }
}
