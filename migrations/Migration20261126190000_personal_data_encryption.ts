import { Migration } from '@mikro-orm/migrations';

/**
 * Personal data sealed at rest (docs/adr/0010-personal-data-encryption.md): sealed values are
 * longer than the clear ones, and keyed hashes make exact search possible. The keys are
 * configuration, unknown to SQL: the server seals the clear values left in these columns when it
 * starts (and `npm run rotate-personal-data-key` does the same).
 */
export class Migration20261126190000_personal_data_encryption extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "customer" alter column "phone" type text using ("phone"::text);`);
    this.addSql(`alter table "customer" alter column "id_number" type text using ("id_number"::text);`);
    this.addSql(
      `alter table "customer" add column "phone_hash" varchar(64) null, add column "id_number_hash" varchar(64) null;`,
    );
    this.addSql(`create index "customer_phone_hash_index" on "customer" ("phone_hash");`);
    this.addSql(`create index "customer_id_number_hash_index" on "customer" ("id_number_hash");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_id_number_hash_index";`);
    this.addSql(`drop index "customer_phone_hash_index";`);
    this.addSql(`alter table "customer" drop column "id_number_hash", drop column "phone_hash";`);
    // The columns stay text: they hold sealed values, which no longer fit varchar(32) and which
    // only the server can open.
  }
}
