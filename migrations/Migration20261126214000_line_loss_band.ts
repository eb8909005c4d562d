import { Migration } from '@mikro-orm/migrations';

export class Migration20261126214000_line_loss_band extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "org_unit" add column "line_loss_min" numeric(5,2) null, add column "line_loss_max" numeric(5,2) null;`,
    );
    this.addSql(
      `alter table "org_unit" add constraint "org_unit_line_loss_band" check (("line_loss_min" is null and "line_loss_max" is null) or (0 <= "line_loss_min" and "line_loss_min" <= "line_loss_max" and "line_loss_max" <= 100));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "org_unit" drop constraint "org_unit_line_loss_band";`);
    this.addSql(`alter table "org_unit" drop column "line_loss_min", drop column "line_loss_max";`);
  }
}
